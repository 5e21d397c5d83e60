"""GET /feed: public messages on the customer's cases after a cursor, paged, stable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from caseway.cases.models import Activity
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settled(settings):
    settings.CASEWAY_FEED_SETTLE_SECONDS = 0


def read_all(api, since="", limit=50):
    items = []
    while True:
        page = api.get("/feed", since=since, limit=limit).json()
        items += page["items"]
        since = page["next_cursor"]
        if not page["has_more"]:
            return items, since


def test_the_feed_pages_through_public_messages_with_a_stable_cursor(as_role, carol_case):
    agent, carol = as_role("agent"), as_role("customer")
    agent.post(f"/cases/{carol_case.number}/notes", {"text": "internal only"})
    for n in range(4):
        agent.post(f"/cases/{carol_case.number}/messages", {"text": f"reply {n}"})

    first = carol.get("/feed", limit=2).json()
    items, cursor = read_all(carol, since=first["next_cursor"], limit=2)

    assert first["has_more"] is True
    texts = [i["activity"]["text"] for i in first["items"] + items]
    assert texts[1:] == ["reply 0", "reply 1", "reply 2", "reply 3"]  # the first is the opening
    assert "internal only" not in texts
    assert all(i["case"]["number"] == carol_case.number for i in first["items"] + items)

    # Nothing new: the same cursor comes back; something new: only that.
    again = carol.get("/feed", since=cursor).json()
    assert (again["items"], again["next_cursor"], again["has_more"]) == ([], cursor, False)
    carol.post(f"/cases/{carol_case.number}/messages", {"text": "thanks!"})
    newer = carol.get("/feed", since=cursor).json()
    assert [i["activity"]["text"] for i in newer["items"]] == ["thanks!"]
    assert newer["items"][0]["activity"]["kind"] == "message_in"


FEED_MATRIX = [
    ("customer", True),
    ("colleague", False),
    ("account_admin", True),
    ("stranger", False),
]


@pytest.mark.parametrize(("role", "sees"), FEED_MATRIX)
def test_the_feed_shows_only_cases_the_customer_sees(as_role, carol_case, role, sees):
    items, _ = read_all(as_role(role))

    assert any(i["case"]["number"] == carol_case.number for i in items) is sees


@pytest.mark.parametrize("role", ["agent", "admin_user"])
def test_the_feed_is_for_customers(as_role, role):
    assert as_role(role).get("/feed").status_code == 403


def test_the_feed_needs_credentials(api):
    assert api.get("/feed").status_code == 401


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "١٢"])
def test_a_bad_cursor_is_422_with_the_field(as_role, since):
    response = as_role("customer").get("/feed", since=since)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "since"]


def test_a_bad_limit_is_422(as_role):
    response = as_role("customer").get("/feed", limit=1000)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_entries_too_young_to_be_settled_wait_for_the_next_poll(
    settings, as_role, carol_case, make_message
):
    settings.CASEWAY_FEED_SETTLE_SECONDS = 60
    Activity.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    receive(make_message(email="carol@globex.test", subject="Just now"))

    page = as_role("customer").get("/feed").json()

    assert [i["case"]["subject"] for i in page["items"]] == ["Printer on fire"]
    assert page["has_more"] is False
