from caseway.core.sanitize import clean_html


def test_scripts_and_event_handlers_are_removed():
    dirty = '<p onclick="steal()">Hi<script>alert(1)</script></p><img src=x onerror="x()">'
    clean = clean_html(dirty)
    assert "script" not in clean
    assert "onclick" not in clean
    assert "onerror" not in clean
    assert "<p>Hi</p>" in clean


def test_javascript_links_are_dropped_and_safe_links_get_rel():
    clean = clean_html('<a href="javascript:evil()">x</a><a href="https://ok.test/">ok</a>')
    assert "javascript" not in clean
    assert 'href="https://ok.test/"' in clean
    assert "noopener" in clean


def test_styles_and_iframes_are_removed():
    clean = clean_html('<style>body{}</style><iframe src="https://x"></iframe><b>bold</b>')
    assert clean == "<b>bold</b>"


def test_empty_input_gives_empty_output():
    assert clean_html("") == ""
