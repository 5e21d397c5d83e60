"""Writing and reviewing articles in the admin: saves go through the services (sanitised,
versioned, indexed); authors send for review, reviewers approve and publish; versions show
their changes and can be restored."""

import pytest
from django.contrib.auth.models import Permission

from caseway.customers.tests.factories import UserFactory
from caseway.knowledge.models import Article, ArticleState, ArticleVersion
from caseway.knowledge.search import search

pytestmark = pytest.mark.django_db

AUTHOR = ("add_article", "change_article", "view_article", "view_articleversion")


def staff(username, *codenames):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="knowledge", codename__in=codenames)
    )
    return user


@pytest.fixture
def author():
    return staff("writer", *AUTHOR)


@pytest.fixture
def reviewer():
    return staff("reviewer", *AUTHOR, "review_article")


def write(client, **fields):
    data = {
        "title": "Reset your password",
        "summary": "",
        "body": "<p>Choose <b>Forgot password</b>.</p><script>alert(1)</script>",
        "questions": "I forgot my password\ncannot log in",
        "keyword_list": "password, login",
        "product_list": "",
        "visibility": "public",
        "language": "en",
        **fields,
    }
    return client.post("/admin/knowledge/article/add/", data)


def act(client, action, article):
    return client.post(
        "/admin/knowledge/article/",
        {"action": action, "_selected_action": [article.pk]},
        follow=True,
    )


def test_an_article_written_in_the_admin_is_sanitised_and_versioned(client, author):
    client.force_login(author)
    response = write(client)
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert "<script>" not in article.body and "<b>Forgot password</b>" in article.body
    assert list(article.questions.values_list("text", flat=True)) == [
        "I forgot my password",
        "cannot log in",
    ]
    assert article.keywords == ["password", "login"]
    assert article.state == ArticleState.DRAFT
    assert ArticleVersion.objects.get(article=article).number == 1


def test_the_author_sends_for_review_a_reviewer_approves_and_publishes(
    client, author, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(author)
    write(client)
    article = Article.objects.get()
    act(client, "send_for_review", article)
    page = act(client, "approve", article).content.decode()
    assert "Only reviewers can do that." in page
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW

    client.force_login(reviewer)
    act(client, "approve", article)
    with django_capture_on_commit_callbacks(execute=True):
        act(client, "publish", article)
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED
    assert search("I forgot my password")[0].article_id == article.pk


def test_a_reviewer_does_not_approve_their_own_last_edit(client, reviewer):
    client.force_login(reviewer)
    write(client)
    article = Article.objects.get()
    act(client, "send_for_review", article)
    page = act(client, "approve", article).content.decode()
    assert "another reviewer approves" in page
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW


def test_edits_make_versions_with_a_diff_and_restore(client, author):
    client.force_login(author)
    write(client)
    article = Article.objects.get()
    client.post(
        f"/admin/knowledge/article/{article.pk}/change/",
        {
            "title": "Reset your password",
            "summary": "",
            "body": "<p>Choose <b>Forgot password</b> on the sign-in page.</p>",
            "questions": "I forgot my password",
            "keyword_list": "",
            "product_list": "",
            "visibility": "public",
            "language": "en",
        },
    )
    second = ArticleVersion.objects.get(article=article, number=2)
    page = client.get(f"/admin/knowledge/articleversion/{second.pk}/change/").content.decode()
    assert "+Choose Forgot password on the sign-in page." in page

    first = ArticleVersion.objects.get(article=article, number=1)
    client.post(
        "/admin/knowledge/articleversion/",
        {"action": "restore", "_selected_action": [first.pk]},
    )
    article.refresh_from_db()
    assert article.current_version == 3
    assert "sign-in page" not in article.body


def test_a_file_is_added_to_an_article_within_the_limits(client, author):
    from django.core.files.uploadedfile import SimpleUploadedFile

    author.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_articleattachment", "view_articleattachment"])
    )
    client.force_login(author)
    write(client)
    article = Article.objects.get()
    ok = SimpleUploadedFile("steps.png", b"\\x89PNG demo", content_type="image/png")
    response = client.post(
        "/admin/knowledge/articleattachment/add/", {"article": article.pk, "upload": ok}
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert article.attachments.get().filename == "steps.png"

    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    response = client.post(
        "/admin/knowledge/articleattachment/add/", {"article": article.pk, "upload": bad}
    )
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    assert article.attachments.count() == 1
