"""The help center: browse, search with highlighted snippets, read, vote, related articles,
and the new case form's suggestions with their deflection signal."""

import uuid

import pytest

from caseway.cases.models import Case
from caseway.knowledge import services
from caseway.knowledge.feedback import deflection, visitor_of
from caseway.knowledge.models import ArticleVisibility
from caseway.knowledge.signals_models import ArticleFeedback, ArticleView, SearchLog, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    from caseway.customers.tests.factories import UserFactory

    return UserFactory(username="writer", is_staff=True)


@pytest.fixture
def articles(publish_article):
    billing = services.create_category(name="Billing")
    account = services.create_category(name="Your account")
    return {
        "password": publish_article(
            "Reset your password",
            "<p>Open <b>Settings</b>, choose Security and press Reset password.</p>",
            questions=["I forgot my password", "cannot log in"],
            category=account,
        ),
        "invoice": publish_article(
            "Download an invoice",
            "<p>Invoices are under Billing, one PDF per month.</p>",
            questions=["where is my invoice"],
            category=billing,
        ),
        "refund": publish_article(
            "Ask for a refund",
            "<p>Refunds go back to the card you paid with within 5 days.</p>",
            questions=["I want my money back"],
            category=billing,
        ),
    }


def test_help_center_lists_topics_with_their_published_articles(client, articles, publish_article):
    services.create_category(name="Empty topic")
    response = client.get("/kb/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Billing" in body and "Your account" in body
    assert "Empty topic" not in body
    assert "2 articles" in body and "1 article" in body


def test_search_ranks_the_right_article_and_highlights_the_words(client, articles):
    response = client.get("/kb/search/", {"q": "forgot password"})
    body = response.content.decode()
    assert response.status_code == 200
    first = body.index("Reset your password")
    assert first < body.index("Download an invoice") if "Download an invoice" in body else True
    assert "<mark>password</mark>" in body or "<mark>Password</mark>" in body
    log = SearchLog.objects.get()
    assert (log.query, log.source, log.top_article_id) == (
        "forgot password",
        Source.PORTAL,
        articles["password"].pk,
    )


def test_search_escapes_what_the_article_says(client, publish_article):
    publish_article("Angle brackets", "<p>Type &lt;script&gt;alert(1)&lt;/script&gt; to test</p>")
    body = client.get("/kb/search/", {"q": "script alert"}).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;" in body


def test_a_search_that_finds_nothing_is_recorded_as_such(client, articles):
    response = client.get("/kb/search/", {"q": "zzqx frobnicate"})
    assert "Nothing in the help center matches" in response.content.decode()
    assert SearchLog.objects.get().results == 0


def test_customers_never_see_internal_or_unpublished_articles(client, publish_article, author):
    internal = publish_article(
        "Internal escalation runbook",
        "<p>Escalate runbook steps.</p>",
        visibility=ArticleVisibility.INTERNAL,
    )
    draft = services.create_article(title="Draft runbook", body="<p>x</p>", author=author)
    assert client.get(f"/kb/{internal.pk}/{internal.slug}/").status_code == 404
    assert client.get(f"/kb/{draft.pk}/{draft.slug}/").status_code == 404
    body = client.get("/kb/search/", {"q": "runbook escalation"}).content.decode()
    assert "Internal escalation runbook" not in body


def test_article_page_shows_sanitised_body_related_articles_and_records_the_view(
    client, articles, publish_article
):
    publish_article("Invoices of past years", "<p>Older invoices are in the Billing archive.</p>")
    article = articles["invoice"]
    response = client.get(f"/kb/{article.pk}/{article.slug}/?from=portal")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Invoices are under Billing" in body
    assert "Related articles" in body
    assert "Invoices of past years" in body
    view = ArticleView.objects.get()
    assert (view.article, view.source) == (article, Source.PORTAL)
    assert view.visitor


def test_an_old_slug_redirects_to_the_current_one(client, articles):
    article = articles["refund"]
    response = client.get(f"/kb/{article.pk}/old-title/")
    assert response.status_code == 301
    assert response["Location"] == f"/kb/{article.pk}/{article.slug}/"


def test_was_this_helpful_records_the_vote_and_comment(client, articles):
    article = articles["refund"]
    response = client.post(
        f"/kb/{article.pk}/feedback/", {"helpful": "no", "comment": " Which card? "}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?voted=1#feedback")
    feedback = ArticleFeedback.objects.get()
    assert (feedback.helpful, feedback.comment) == (False, "Which card?")
    thanked = client.get(response["Location"]).content.decode()
    assert "Thank you for your feedback." in thanked


def test_a_vote_through_htmx_answers_with_the_thanks_only(client, articles):
    article = articles["refund"]
    response = client.post(
        f"/kb/{article.pk}/feedback/", {"helpful": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Thank you for your feedback." in response.content.decode()
    assert "<html" not in response.content.decode()
    assert ArticleFeedback.objects.get().helpful is True


def test_a_vote_without_an_answer_records_nothing(client, articles):
    article = articles["refund"]
    client.post(f"/kb/{article.pk}/feedback/", {"helpful": "maybe"})
    assert not ArticleFeedback.objects.exists()


def test_new_case_form_suggests_articles_for_the_subject(client, articles):
    response = client.get("/kb/suggest/", {"subject": "I forgot my password"})
    body = response.content.decode()
    assert "Reset your password" in body
    assert "?from=suggestion" in body
    assert SearchLog.objects.get().source == Source.SUGGESTION
    assert client.get("/kb/suggest/", {"subject": "hi"}).content.strip() == b""


def test_reading_a_suggestion_and_leaving_is_a_deflection(client, articles, settings):
    article = articles["password"]
    client.get(f"/kb/{article.pk}/{article.slug}/?from=suggestion")
    view = ArticleView.objects.get()
    assert view.source == Source.SUGGESTION
    assert view.led_to_case is False
    from datetime import timedelta

    from django.utils import timezone

    later = timezone.now() + timedelta(hours=1)
    outcome = deflection(since=later - timedelta(days=1), now=later)
    assert (outcome.suggested_views, outcome.deflected) == (1, 1)


def test_opening_a_case_after_reading_a_suggestion_is_no_deflection(client, articles):
    article = articles["password"]
    client.get(f"/kb/{article.pk}/{article.slug}/?from=suggestion")
    response = client.post(
        "/cases/new/",
        {
            "provider_id": str(uuid.uuid4()),
            "name": "Ada",
            "email": "ada@example.com",
            "subject": "Password reset did not work",
            "text": "The article did not help me.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Case.objects.count() == 1
    view = ArticleView.objects.get()
    assert view.led_to_case is True
    assert view.visitor == visitor_of(client.session.session_key)


def test_an_articles_files_are_listed_and_downloaded(client, articles, author):
    article = articles["invoice"]
    attachment = services.attach_file(
        article=article, filename="../guide.pdf", content_type="application/pdf",
        content=b"%PDF-1.4 demo", actor=author,
    )  # fmt: skip
    page = client.get(f"/kb/{article.pk}/{article.slug}/").content.decode()
    assert "guide.pdf" in page

    response = client.get(f"/kb/{article.pk}/files/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"


def test_files_of_unpublished_articles_are_not_served(client, author):
    draft = services.create_article(title="Draft", body="<p>x</p>", author=author)
    attachment = services.attach_file(
        article=draft, filename="a.txt", content_type="text/plain", content=b"x", actor=author
    )
    assert client.get(f"/kb/{draft.pk}/files/{attachment.pk}/").status_code == 404


def test_a_file_of_a_refused_type_or_size_is_not_attached(author, settings):
    from caseway.knowledge.exceptions import AttachmentRefused

    article = services.create_article(title="Draft", body="<p>x</p>", author=author)
    with pytest.raises(AttachmentRefused):
        services.attach_file(
            article=article, filename="run.exe", content_type="application/x-msdownload",
            content=b"MZ", actor=author,
        )  # fmt: skip
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(AttachmentRefused):
        services.attach_file(
            article=article, filename="big.txt", content_type="text/plain", content=b"x" * 11,
            actor=author,
        )  # fmt: skip
    assert not article.attachments.exists()
