from itertools import pairwise

import pytest
from django.test import Client

from caseway.knowledge import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(publish_article):
    return {
        "password": publish_article(
            "Reset your password",
            "<p>Open Settings and click <b>Reset password</b>.</p>",
            questions=["I forgot my password"],
        ),
        "delivery": publish_article("Track a delivery", "<p>See where your parcel is.</p>"),
        "internal": publish_article(
            "Password escalation runbook",
            "<p>Agents only: reset a password by phone.</p>",
            visibility="internal",
        ),
    }


def test_anyone_can_search_public_articles_without_signing_in(articles):
    response = Client().get("/api/v1/kb/search", {"q": "forgot password", "limit": 5})
    assert response.status_code == 200
    hits = response.json()
    assert hits[0]["title"] == "Reset your password"
    first = hits[0]
    assert set(first) == {"id", "title", "score", "snippet", "url"}
    assert first["id"] == articles["password"].pk
    assert first["url"] == f"http://testserver/kb/{first['id']}/reset-your-password/"
    assert "<mark>password</mark>" in first["snippet"]
    assert all(a["score"] >= b["score"] for a, b in pairwise(hits))


def test_internal_and_unpublished_articles_are_not_in_public_search(
    articles, django_capture_on_commit_callbacks
):
    titles = [hit["title"] for hit in Client().get("/api/v1/kb/search", {"q": "password"}).json()]
    assert "Password escalation runbook" not in titles
    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_article(article=articles["password"], actor=None)
    titles = [hit["title"] for hit in Client().get("/api/v1/kb/search", {"q": "password"}).json()]
    assert "Reset your password" not in titles


def test_limit_caps_the_results(articles):
    response = Client().get("/api/v1/kb/search", {"q": "password parcel", "limit": 1})
    assert len(response.json()) == 1


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 99}])
def test_bad_parameters_are_422(db, params):
    assert Client().get("/api/v1/kb/search", params).status_code == 422


def test_snippets_are_escaped(publish_article):
    publish_article("Odd characters", "<p>Use &lt;b&gt; tags &amp; brackets in the editor.</p>")
    [hit] = Client().get("/api/v1/kb/search", {"q": "editor brackets"}).json()
    assert "&lt;b&gt;" in hit["snippet"]
    assert "<b>" not in hit["snippet"]
