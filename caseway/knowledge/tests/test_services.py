from datetime import timedelta

import pytest
from django.utils import timezone

from caseway.knowledge import services
from caseway.knowledge.exceptions import (
    ArticleNotEditable,
    ArticleTransitionNotAllowed,
    InvalidSchedule,
    VersionNotFound,
)
from caseway.knowledge.models import ArticleState, ArticleVersion
from caseway.knowledge.queries import published_articles, version_diff

pytestmark = pytest.mark.django_db


def test_create_article_sanitises_the_body_and_records_version_one(make_article, author):
    article = make_article(
        body='<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p><p>Second</p>',
        questions=["how do I reset", "how do I reset", " "],
        keywords=["password", "login"],
    )
    assert article.state == ArticleState.DRAFT
    assert "script" not in article.body and "onclick" not in article.body
    assert article.body_text == "Hi there\nSecond"
    assert [q.text for q in article.questions.all()] == ["how do I reset"]
    assert article.owner == author
    assert article.current_version == 1
    assert article.versions.get().number == 1


def test_the_review_and_publication_path(make_article, author):
    article = make_article()
    article = services.submit_for_review(article=article, actor=author)
    assert article.state == ArticleState.IN_REVIEW
    article = services.approve_article(article=article, actor=author)
    assert article.state == ArticleState.APPROVED
    article = services.publish_article(article=article, actor=author)
    assert article.state == ArticleState.PUBLISHED
    assert article.published_at is not None
    assert list(published_articles()) == [article]
    article = services.unpublish_article(article=article, actor=author)
    assert article.state == ArticleState.APPROVED
    article = services.publish_article(article=article, actor=author)
    article = services.expire_article(article=article, actor=author)
    assert article.state == ArticleState.EXPIRED
    article = services.archive_article(article=article, actor=author)
    assert article.state == ArticleState.ARCHIVED
    article = services.reopen_article(article=article, actor=author)
    assert article.state == ArticleState.DRAFT


@pytest.mark.parametrize(
    "step",
    [
        services.approve_article,
        services.publish_article,
        services.unpublish_article,
        services.expire_article,
        services.reject_article,
        services.reopen_article,
    ],
)
def test_a_draft_cannot_skip_the_review(make_article, author, step):
    article = make_article()
    with pytest.raises(ArticleTransitionNotAllowed) as caught:
        step(article=article, actor=author)
    assert caught.value.current == ArticleState.DRAFT
    article.refresh_from_db()
    assert article.state == ArticleState.DRAFT


def test_a_reviewer_can_send_an_article_back(make_article, author):
    article = services.submit_for_review(article=make_article(), actor=author)
    article = services.reject_article(article=article, actor=author)
    assert article.state == ArticleState.DRAFT


def test_scheduled_publication_waits_for_its_date(make_article, author):
    article = services.submit_for_review(article=make_article(), actor=author)
    article = services.approve_article(article=article, actor=author)
    later = timezone.now() + timedelta(hours=2)
    article = services.publish_article(article=article, actor=author, publish_at=later)
    assert article.state == ArticleState.APPROVED
    assert article.publish_at == later
    assert services.apply_due_schedules() == {}
    outcomes = services.apply_due_schedules(now=later + timedelta(seconds=1))
    assert outcomes == {"published": 1}
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED


def test_expiry_is_applied_when_due_and_never_before_publication(make_article, author):
    article = services.submit_for_review(article=make_article(), actor=author)
    article = services.approve_article(article=article, actor=author)
    with pytest.raises(InvalidSchedule):
        services.publish_article(
            article=article, actor=author, expires_at=timezone.now() - timedelta(days=1)
        )
    soon = timezone.now() + timedelta(days=1)
    article = services.publish_article(article=article, actor=author, expires_at=soon)
    assert services.apply_schedule(article_id=article.pk) == "nothing due"
    assert services.apply_schedule(article_id=article.pk, now=soon) == "expired"
    assert services.apply_schedule(article_id=article.pk, now=soon) == "nothing due"
    article.refresh_from_db()
    assert article.state == ArticleState.EXPIRED


def test_editing_records_a_version_and_sends_an_approved_article_back_to_draft(
    make_article, author
):
    article = services.submit_for_review(article=make_article(), actor=author)
    article = services.approve_article(article=article, actor=author)
    article = services.update_article(
        article=article, author=author, body="<p>Open Settings, then Security.</p>"
    )
    assert article.state == ArticleState.DRAFT
    assert article.current_version == 2
    article = services.update_article(article=article, author=author, keywords=["pw"])
    assert article.current_version == 2  # keywords alone are not a new version
    assert article.keywords == ["pw"]


def test_diff_and_restore_of_versions(make_article, author):
    article = make_article(body="<p>Line one</p><p>Line two</p>")
    article = services.update_article(
        article=article, author=author, title="Reset a password", body="<p>Line one</p>"
    )
    diff = version_diff(article=article, old=1, new=2)
    assert "-# Reset your password" in diff
    assert "+# Reset a password" in diff
    assert "-Line two" in diff
    article = services.restore_version(article=article, number=1, author=author)
    assert article.current_version == 3
    assert article.title == "Reset your password"
    assert article.body_text == "Line one\nLine two"
    assert ArticleVersion.objects.get(article=article, number=3).note == "restored version 1"
    with pytest.raises(VersionNotFound):
        services.restore_version(article=article, number=9, author=author)


def test_archived_articles_are_not_edited(make_article, author):
    article = services.archive_article(article=make_article(), actor=author)
    with pytest.raises(ArticleNotEditable):
        services.update_article(article=article, author=author, title="New")


def test_slugs_stay_unique(make_article):
    first, second = make_article(title="Same title"), make_article(title="Same title")
    assert (first.slug, second.slug) == ("same-title", "same-title-2")


@pytest.mark.django_db(transaction=True)
def test_scheduling_enqueues_a_deferred_task_on_the_database_queue(settings, author):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    article = services.create_article(title="Spring sale", author=author)
    article = services.submit_for_review(article=article, actor=author)
    article = services.approve_article(article=article, actor=author)
    later = timezone.now() + timedelta(hours=1)
    services.publish_article(article=article, actor=author, publish_at=later)
    [queued] = DBTaskResult.objects.filter(task_path__endswith="apply_article_schedule")
    assert queued.run_after == later
    assert queued.args_kwargs["args"] == [article.pk]
