"""Routing over the API: presence, offers, picking by hand, the rule tester."""

import pytest

from caseway.cases.models import Case
from caseway.cases.tests.factories import QueueFactory
from caseway.intake.services import receive
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.models import AgentProfile, CapacityProfile, Offer, RoutingRule

pytestmark = pytest.mark.django_db


def test_agent_sets_presence_and_customers_cannot(as_role):
    response = as_role("agent").call("put", "/routing/presence", {"presence": "available"})
    assert response.status_code == 200
    assert response.json()["presence"] == "available"
    assert (
        as_role("agent").call("put", "/routing/presence", {"presence": "lunch"}).status_code == 422
    )
    assert (
        as_role("customer").call("put", "/routing/presence", {"presence": "busy"}).status_code
        == 403
    )


def test_offered_agent_accepts_or_declines(as_role, agent, make_message, customer):
    as_role("agent").call("put", "/routing/presence", {"presence": "available"})
    case = receive(make_message()).case
    assign_waiting_case(case_id=case.pk)
    assert Case.objects.get(pk=case.pk).owner == agent

    response = as_role("agent").post(f"/routing/cases/{case.number}/accept")
    assert response.status_code == 200
    assert Offer.objects.get(case=case).status == "accepted"
    assert as_role("agent").post(f"/routing/cases/{case.number}/decline").status_code == 409


def test_decline_gives_the_case_back(as_role, agent, make_message, customer):
    as_role("agent").call("put", "/routing/presence", {"presence": "available"})
    case = receive(make_message()).case
    assign_waiting_case(case_id=case.pk)
    response = as_role("agent").post(f"/routing/cases/{case.number}/decline")
    assert response.status_code == 200
    assert response.json()["owner"] is None


def test_pick_respects_capacity(as_role, agent, make_message, customer):
    as_role("agent").call("put", "/routing/presence", {"presence": "away"})
    profile = AgentProfile.objects.get(agent=agent)
    profile.capacity_profiles.add(CapacityProfile.objects.create(name="One", max_units=1))
    first = receive(make_message()).case
    second = receive(make_message()).case
    assert as_role("agent").post(f"/routing/cases/{first.number}/pick").status_code == 200
    response = as_role("agent").post(f"/routing/cases/{second.number}/pick")
    assert response.status_code == 409
    assert "capacity" in response.json()["detail"]


def test_rule_tester_for_a_made_up_message_and_a_case(as_role, customer, make_message):
    case = receive(make_message()).case  # arrives before the rule exists: General
    premium = QueueFactory(name="Premium", slug="premium")
    RoutingRule.objects.create(name="Enterprise", queue=premium, account_sizes=["enterprise"])
    response = as_role("agent").post(
        "/routing/test", {"email": "carol@globex.test", "subject": "Help"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["queue"] == "Premium" and body["rule"] == "Enterprise"
    assert body["trail"][0]["checks"] == [
        {"condition": "account size", "passed": True, "detail": "account size is enterprise"}
    ]
    response = as_role("agent").post("/routing/test", {"case": case.number})
    assert response.json()["queue"] == "Premium"
    assert as_role("agent").post("/routing/test", {"case": "CW-99999"}).status_code == 404
    assert as_role("customer").post("/routing/test", {"subject": "x"}).status_code == 403
