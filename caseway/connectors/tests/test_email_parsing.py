"""The email parser on recorded messages of the common clients."""

from pathlib import Path

import pytest

from caseway.connectors.email.parsing import case_reference_in, parse_email
from caseway.connectors.email.quoting import trim_html, trim_text
from caseway.connectors.exceptions import PayloadRejected

FIXTURES = Path(__file__).parent / "fixtures" / "email"


def parse(name, **replace):
    raw = (FIXTURES / name).read_bytes()
    for key, value in replace.items():
        raw = raw.replace(key.encode(), value.encode())
    return parse_email(raw)


def test_outlook_message_with_alternative_bodies_and_a_pdf():
    parsed = parse("outlook.eml")
    msg = parsed.message
    assert msg.channel == "email"
    assert msg.provider_id == "AM6PR05MB5412A1B2C3D4E5F6@AM6PR05MB5412.eurprd05.prod.outlook.com"
    assert (msg.sender.address, msg.sender.name) == ("anna.berg@contoso.example", "Anna Berg")
    assert msg.subject == "Router keeps dropping the connection"
    assert msg.text.startswith("Hello,\n\nSince yesterday my router drops the connection")
    assert "\r" not in msg.text
    assert "WordSection1" in msg.html
    [pdf] = msg.attachments
    assert (pdf.filename, pdf.content_type) == ("router-log.pdf", "application/pdf")
    assert pdf.content.startswith(b"%PDF-1.4")
    assert parsed.recipients == ("support@caseway.localhost",)
    assert not parsed.auto_reply and parsed.bounce is None


def test_gmail_reply_threads_and_shows_only_the_new_part():
    parsed = parse("gmail_reply.eml", REPLY_TO_ID="abc.123@caseway.localhost")
    msg = parsed.message
    assert msg.in_reply_to == ("abc.123@caseway.localhost",)
    assert msg.text == "Thanks, the credit note arrived \u2013 all good now."
    assert "gmail_quote" not in msg.html
    assert "credit note arrived" in msg.html
    assert msg.meta["activity_data"]["email"]["is_trimmed"] is True


def test_apple_mail_related_keeps_the_inline_image_and_decodes_utf8_words():
    msg = parse("apple_mail_related.eml").message
    assert msg.sender.name == "Chlo\u00e9 Martin"
    assert msg.subject == "Photo of the damaged d\u00e9codeur"
    assert "cid:8A1C3E5F-photo@icloud.example" in msg.html
    [image] = msg.attachments
    assert (image.filename, image.content_type) == ("photo.png", "image/png")
    assert image.content.startswith(b"\x89PNG")
    assert msg.meta["activity_data"]["email"]["inline"] == {
        "8A1C3E5F-photo@icloud.example": "photo.png"
    }


def test_iso_8859_1_body_and_encoded_words():
    msg = parse("thunderbird_iso8859.eml").message
    assert msg.sender.name == "J\u00fcrgen M\u00fcller"
    assert msg.subject == "Doppelte Abbuchung im M\u00e4rz"
    assert "im M\u00e4rz wurden mir" in msg.text
    assert "Gr\u00fc\u00dfe" in msg.text


def test_shift_jis_body_and_iso_2022_jp_name():
    msg = parse("shift_jis.eml").message
    assert msg.subject == "\u30eb\u30fc\u30bf\u30fc\u8a2d\u5b9a\u306b\u3064\u3044\u3066"
    assert msg.sender.name == "\u5c71\u7530\u592a\u90ce"
    assert "\u30eb\u30fc\u30bf\u30fc\u306e\u8a2d\u5b9a\u65b9\u6cd5" in msg.text


def test_html_only_message_gets_a_text_version():
    msg = parse("alternative_html_only.eml").message
    assert msg.text.startswith("My order 5531 never arrived.")
    assert "<b>5531</b>" in msg.html


def test_out_of_office_is_an_automatic_reply():
    parsed = parse("out_of_office.eml", REPLY_TO_ID="x@caseway.localhost")
    assert parsed.auto_reply == "Auto-Submitted: auto-replied"
    assert parsed.bounce is None


def test_dsn_bounce_names_the_message_that_bounced():
    parsed = parse("bounce_dsn.eml", REPLY_TO_ID="reply.1@caseway.localhost")
    bounce = parsed.bounce
    assert bounce is not None
    assert bounce.original_ids == ("reply.1@caseway.localhost",)
    assert bounce.recipients == ("nobody@contoso.example",)
    assert bounce.status == "5.1.1"
    assert "User unknown" in bounce.diagnostic


def test_delayed_dsn_is_no_bounce():
    raw = (FIXTURES / "bounce_dsn.eml").read_bytes().replace(b"Action: failed", b"Action: delayed")
    raw = raw.replace(b"Status: 5.1.1", b"Status: 4.4.1")
    assert parse_email(raw).bounce is None


def test_message_without_sender_is_refused_clearly():
    with pytest.raises(PayloadRejected, match="no valid From address"):
        parse("malformed.eml")


def test_broken_mime_with_a_sender_is_still_read():
    raw = b"From: someone@example.org\r\n" + (FIXTURES / "malformed.eml").read_bytes()
    parsed = parse_email(raw)
    assert "Some text with no sender address." in parsed.message.text
    assert parsed.message.provider_id.startswith("sha256:")
    assert parsed.defects


@pytest.mark.parametrize(
    ("subject", "reference"),
    [
        ("Re: Router [CW-00042]", "CW-00042"),
        ("Re: [cw-7] hello", "CW-7"),
        ("About CW-00012 again", "CW-00012"),
        ("No number here", ""),
    ],
)
def test_case_reference_in_subject(subject, reference):
    assert case_reference_in(subject) == reference


def test_trimming_keeps_a_message_without_quotes_whole():
    assert trim_text("Just a question.\n\nBye") == "Just a question.\n\nBye"
    assert trim_html("<p>Hi</p>") == "<p>Hi</p>"


def test_outlook_html_reply_is_cut_at_its_separator():
    html = (
        '<div><p>Fixed, thanks.</p></div><div id="appendonsend"></div><hr>'
        '<div id="divRplyFwdMsg"><b>From:</b> Support</div><div>old text</div>'
    )
    assert trim_html(html) == "<div><p>Fixed, thanks.</p></div>"
