import json
from io import StringIO

import pytest
from django.core.management import call_command

from caseway.knowledge.models import Article, ArticleState, Category
from caseway.knowledge.search import search
from caseway.knowledge.transfer import export_articles, import_articles

pytestmark = pytest.mark.django_db

GOOD = {
    "title": "Pair a headset",
    "body": "<p>Hold the <b>power</b> button for five seconds.</p>",
    "questions": ["bluetooth headset will not connect", "how to pair"],
    "category": "Audio",
    "keywords": ["bluetooth", "pairing"],
    "state": "published",
}


def lines(*items):
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


def test_import_reports_bad_lines_by_number_and_keeps_the_good_ones():
    report = import_articles(
        lines(
            GOOD,
            "{not json",
            {"title": "", "body": "x"},
            {"title": "Draft one", "questions": "a, b", "state": "draft"},
            "",
            {"title": "Odd", "state": "pending"},
            {"title": "Bad list", "questions": [1, 2]},
            ["a list"],
        ),
        actor=None,
    )
    assert report.created == 2
    assert report.by_state == {"published": 1, "draft": 1}
    assert [error.split(":")[0] for error in report.errors] == [
        "line 2", "line 3", "line 6", "line 7", "line 8",
    ]  # fmt: skip
    assert "not valid JSON" in report.errors[0]
    assert "'state' must be one of" in report.errors[2]
    draft = Article.objects.get(title="Draft one")
    assert [q.text for q in draft.questions.all()] == ["a", "b"]


def test_imported_published_articles_are_searchable_at_once():
    import_articles(lines(GOOD), actor=None)
    assert [hit.title for hit in search("headset")] == ["Pair a headset"]
    assert Category.objects.get().name == "Audio"


def test_export_round_trips_through_import():
    import_articles(
        lines(
            GOOD,
            {"title": "Internal note", "body": "<p>Só para agentes</p>", "state": "in_review",
             "visibility": "internal", "language": "pt", "products": ["X1"], "summary": "S"},
            {"title": "Old promo", "state": "archived"},
        ),
        actor=None,
    )  # fmt: skip
    first = list(export_articles())
    Article.objects.all().delete()
    report = import_articles(first, actor=None)
    assert report.errors == []
    assert list(export_articles()) == first
    assert json.loads(first[0])["state"] == ArticleState.PUBLISHED
    assert json.loads(first[1])["language"] == "pt"


def test_kb_command_imports_a_file_and_exports_to_stdout_and_a_file(tmp_path):
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(lines(GOOD, "oops")) + "\n")
    out, err = StringIO(), StringIO()
    call_command("kb", "import", str(source), stdout=out, stderr=err)
    assert "Imported 1 articles (published 1)" in out.getvalue()
    assert "1 lines refused" in out.getvalue()
    assert "line 2: not valid JSON" in err.getvalue()

    exported = StringIO()
    call_command("kb", "export", stdout=exported)
    assert json.loads(exported.getvalue().splitlines()[0])["title"] == "Pair a headset"
    target = tmp_path / "out.jsonl"
    call_command("kb", "export", "--output", str(target), stderr=StringIO())
    assert target.read_text().splitlines() == exported.getvalue().splitlines()

    reindexed = StringIO()
    call_command("kb", "reindex", stdout=reindexed)
    assert "0 indexed, 1 unchanged, 0 removed" in reindexed.getvalue()
