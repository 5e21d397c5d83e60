"""Articles in every state, published ones indexed (on-commit callbacks run at once)."""

import pytest

from caseway.knowledge import services


@pytest.fixture
def author(db):
    from caseway.customers.tests.factories import UserFactory

    return UserFactory(username="writer", is_staff=True)


@pytest.fixture
def make_article(db, author):
    def build(title="Reset your password", body="<p>Open Settings.</p>", **fields):
        return services.create_article(title=title, body=body, author=author, **fields)

    return build


@pytest.fixture
def publish(make_article, author, django_capture_on_commit_callbacks):
    """publish(title=..., ...) -> a published article, already in the search index."""

    def build(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            article = make_article(**fields)
            article = services.submit_for_review(article=article, actor=author)
            article = services.approve_article(article=article, actor=author)
            return services.publish_article(article=article, actor=author)

    return build
