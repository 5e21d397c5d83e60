from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from caseway.knowledge import services
from caseway.knowledge.index import index_article, reindex_all
from caseway.knowledge.models import ArticleVector, SearchDocument, SearchIndexState
from caseway.knowledge.search import search
from caseway.knowledge.text import snippet

pytestmark = pytest.mark.django_db

SHELF = [
    {
        "title": "Reset your password",
        "body": "<p>Open Settings, choose Security and click Reset password. We email a link.</p>",
        "questions": ["I forgot my password", "cannot sign in to my account"],
        "keywords": ["login", "credentials"],
    },
    {
        "title": "Track a delivery",
        "body": "<p>Your orders page shows where each parcel is and when it arrives.</p>",
        "questions": ["where is my package", "my order has not arrived yet"],
    },
    {
        "title": "Get a refund",
        "body": "<p>Return the item within 30 days and we pay the money back to your card.</p>",
        "questions": ["I want my money back", "how do refunds work"],
    },
    {
        "title": "Change your billing address",
        "body": "<p>Billing details live under Account, then Invoices.</p>",
        "questions": ["update the address on my invoices"],
    },
]


@pytest.fixture
def shelf(publish):
    return {spec["title"]: publish(**spec) for spec in SHELF}


def titles(hits):
    return [hit.title for hit in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reset password", "Reset your password"),
        ("parcel arrives", "Track a delivery"),
        ("refunds", "Get a refund"),
        ("invoices address", "Change your billing address"),
    ],
)
def test_lexical_ranking_finds_the_article_by_its_words(shelf, query, expected):
    assert titles(search(query, mode="lexical"))[0] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("I can't log in, forgot credentials", "Reset your password"),
        ("shipment still not here", "Track a delivery"),
        ("can I have my cash returned", "Get a refund"),
    ],
)
def test_semantic_ranking_finds_the_article_in_other_words(shelf, query, expected):
    assert titles(search(query, mode="semantic"))[0] == expected


def test_hybrid_search_ranks_the_right_article_first_with_a_marked_snippet(shelf):
    hits = search("reset my password, not the invoices", limit=2)
    assert len(hits) == 2
    assert hits[0].title == "Reset your password"
    assert hits[0].score > hits[1].score
    assert "<mark>password</mark>" in hits[0].snippet
    assert hits[0].url == f"/kb/{hits[0].article_id}/reset-your-password/"


def test_snippet_escapes_html_and_marks_only_query_words():
    text = 'Type <script>alert("x")</script> & press the Reset button to reset passwords'
    marked = snippet(text, "reset password <b>")
    assert "<script>" not in marked
    assert "&lt;script&gt;" in marked
    assert "&amp;" in marked
    assert "<mark>Reset</mark>" in marked
    assert "<mark>passwords</mark>" in marked
    assert "<b>" not in marked


def test_unpublish_and_archive_take_the_article_out_of_search(
    shelf, author, django_capture_on_commit_callbacks
):
    article = shelf["Get a refund"]
    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_article(article=article, actor=author)
    assert "Get a refund" not in titles(search("refund money back"))
    assert not SearchDocument.objects.filter(article=article).exists()
    assert not ArticleVector.objects.filter(document_id=article.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        article = services.publish_article(article=article, actor=author)
    assert titles(search("refund money back"))[0] == "Get a refund"
    with django_capture_on_commit_callbacks(execute=True):
        services.archive_article(article=article, actor=author)
    assert "Get a refund" not in titles(search("refund money back"))


def test_editing_a_published_article_reindexes_it(
    shelf, author, django_capture_on_commit_callbacks
):
    article = shelf["Track a delivery"]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_article(article=article, author=author, questions=["zeppelin status"])
    assert titles(search("zeppelin", mode="lexical")) == ["Track a delivery"]


def test_indexing_is_idempotent(shelf):
    article = shelf["Reset your password"]
    vectors = ArticleVector.objects.filter(document_id=article.pk).count()
    assert vectors == 1 + 2 + 1  # title, two questions, one body chunk
    report = index_article(article_id=article.pk)
    assert (report.indexed, report.unchanged, report.removed) == (0, 1, 0)
    assert ArticleVector.objects.filter(document_id=article.pk).count() == vectors
    SearchDocument.objects.all().delete()
    assert search("password") == []
    assert reindex_all().indexed == len(SHELF)
    assert titles(search("password"))[0] == "Reset your password"


def test_internal_articles_are_for_agents_only(publish):
    publish(title="Escalation playbook", visibility="internal", body="<p>Call the duty lead.</p>")
    assert search("escalation playbook") == []
    assert titles(search("escalation playbook", public_only=False)) == ["Escalation playbook"]


def test_language_filter_and_expired_articles(publish):
    publish(
        title="Mot de passe oublié", language="fr", body="<p>Réinitialisez le mot de passe.</p>"
    )
    publish(title="Forgotten password", body="<p>Reset the password.</p>")
    assert titles(search("password", language="fr", mode="lexical")) == []
    assert titles(search("passe", language="fr")) == ["Mot de passe oublié"]
    expiring = publish(title="Winter sale", body="<p>Half price.</p>")
    assert titles(search("winter sale"))[0] == "Winter sale"
    # The expiry task has not run yet (the worker is late): search leaves it out anyway.
    SearchDocument.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    SearchIndexState.objects.update(token="changed-by-test")
    assert "Winter sale" not in titles(search("winter sale"))


def test_blank_query_finds_nothing(shelf):
    assert search("   ") == []
    assert search("password", limit=0) == []


@pytest.mark.django_db(transaction=True)
def test_publication_reaches_the_index_through_the_database_task_queue(settings, author):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    article = services.create_article(title="Pair a headset", body="<p>Hold the button.</p>",
                                      author=author)  # fmt: skip
    article = services.submit_for_review(article=article, actor=author)
    article = services.approve_article(article=article, actor=author)
    services.publish_article(article=article, actor=author)
    assert search("headset") == []  # queued, not yet run
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert titles(search("headset")) == ["Pair a headset"]
    services.unpublish_article(article=article, actor=author)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert search("headset") == []


def test_large_indexes_take_a_coarse_first_pass_with_the_same_answer(shelf, monkeypatch):
    from caseway.knowledge import search as module

    exact = search("I can't log in, forgot credentials", mode="semantic", public_only=False)
    monkeypatch.setattr(module, "COARSE_FROM", 1)
    monkeypatch.setattr(module, "COARSE_ROWS", 3)
    module.forget_snapshot()
    assert module.snapshot().coarse is not None
    coarse = search("I can't log in, forgot credentials", mode="semantic", public_only=False)
    module.forget_snapshot()
    assert coarse[0].title == exact[0].title == "Reset your password"
    assert coarse[0].score == exact[0].score
    assert len(coarse) <= 3


def test_the_snippet_comes_from_the_questions_when_the_body_lacks_the_words(publish):
    publish(title="Pair a headset", body="<p>Hold power.</p>", questions=["bluetooth fails"])
    [hit] = search("bluetooth", mode="lexical")
    assert hit.snippet == "<mark>bluetooth</mark> fails"


def test_postgresql_ranks_rows_sharing_more_words_first(shelf, monkeypatch):
    from django.db import connection

    from caseway.knowledge import lexical

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL full-text search only")
    # Enough rows share two words: the one-word tier is not read.
    monkeypatch.setattr(lexical, "STOP_AFTER", 1)
    assert titles(search("reset password parcel", mode="lexical")) == ["Reset your password"]
    # Too few: the rows holding one word come after, at most RANK_CAP of them.
    monkeypatch.setattr(lexical, "STOP_AFTER", 10)
    found = titles(search("reset password parcel", mode="lexical"))
    assert found == ["Reset your password", "Track a delivery"]
    monkeypatch.setattr(lexical, "RANK_CAP", 1)
    assert len(search("account", mode="lexical")) == 1
    with connection.cursor() as cursor:  # the planner setting stayed inside the search
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


def test_postgresql_reads_every_tier_in_one_statement(shelf, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caseway.knowledge import lexical
    from caseway.knowledge.search import snapshot

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL full-text search only")
    monkeypatch.setattr(lexical, "STOP_AFTER", 50)  # every tier is needed
    snapshot()
    with CaptureQueriesContext(connection) as queries:
        found = titles(search("reset password parcel", mode="lexical"))
    assert found == ["Reset your password", "Track a delivery"]
    statements = [q["sql"] for q in queries.captured_queries]
    # the index's token, the query's lexemes, the tiers, the documents for snippets
    assert len(statements) == 4
    assert sum("ts_rank" in sql for sql in statements) == 1


@pytest.mark.parametrize("count", [1, 2, 3])
def test_postgresql_at_least_matches_rows_holding_that_many_words(db, count):
    import itertools

    from django.db import connection

    from caseway.knowledge.lexical import _at_least

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL full-text search only")
    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    query = _at_least([f"'{word}'" for word in words], count)
    rows = [" ".join(held) for size in range(6) for held in itertools.combinations(words, size)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text, to_tsvector('simple', text) @@ %s::tsquery FROM unnest(%s::text[]) text",
            [query, rows],
        )
        matches = dict(cursor.fetchall())
    assert matches == {row: len(row.split()) >= count for row in rows}


def test_strict_keeps_only_articles_close_in_meaning(publish):
    publish(
        title="Reset your password",
        body="<p>Open the sign-in page, choose Forgot password and enter your email address: "
        "we send you a reset link within two minutes.</p>",
    )
    publish(
        title="A parcel arrived damaged",
        body="<p>Take photos of the box and the item, then send them to us with your order "
        "number and we ship a replacement.</p>",
    )

    loose = [hit.title for hit in search("Battery drains within two hours")]
    strict = [hit.title for hit in search("Battery drains within two hours", strict=True)]
    suggested = [hit.title for hit in search("my package arrived damaged", strict=True)]

    assert "Reset your password" in loose  # shares "within two"
    assert strict == []
    assert suggested == ["A parcel arrived damaged"]
