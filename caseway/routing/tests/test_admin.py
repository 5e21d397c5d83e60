"""Routing admin: rules with skills and list conditions, the rule tester, queue settings."""

import pytest
from django.urls import reverse

from caseway.cases.tests.factories import QueueFactory
from caseway.intake.services import receive
from caseway.routing.models import QueueRouting, RoutingRule, Skill

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_creates_a_rule_with_conditions_and_a_required_skill(admin_client):
    premium = QueueFactory(name="Premium", slug="premium")
    skill = Skill.objects.create(name="Router X")
    response = admin_client.post(
        reverse("admin:routing_routingrule_add"),
        {
            "name": "Premium routers", "order": 10, "is_active": "on",
            "channels": ["email", "portal"], "preferred": "yes", "account_sizes": ["enterprise"],
            "has_contract": "", "priorities": [], "languages": ["en"], "keywords": "router",
            "products": "Router X, Router Y", "business_hours": "", "queue": premium.pk,
            "set_priority": "high",
            "skills-TOTAL_FORMS": 1, "skills-INITIAL_FORMS": 0,
            "skills-0-skill": skill.pk, "skills-0-min_proficiency": 4,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert rule.channels == ["email", "portal"]
    assert rule.products == ["Router X", "Router Y"]
    assert rule.skills.get().min_proficiency == 4


def test_rule_tester_explains_a_made_up_message(admin_client, customer, default_queue):
    premium = QueueFactory(name="Premium", slug="premium")
    RoutingRule.objects.create(name="VIP", queue=premium, preferred="yes")
    response = admin_client.post(
        reverse("admin:routing_rule_tester"),
        {"channel": "email", "email": "carol@globex.test", "subject": "Hi", "priority": "normal"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rule VIP matched (preferred customer)." in html
    response = admin_client.post(
        reverse("admin:routing_rule_tester"),
        {"channel": "email", "email": "stranger@example.com", "priority": "normal"},
    )
    assert "No rule matched: the default queue." in response.content.decode()


def test_rule_tester_explains_an_existing_case(admin_client, customer, make_message):
    case = receive(make_message()).case
    response = admin_client.post(
        reverse("admin:routing_rule_tester"),
        {"case": case.number, "channel": "email", "priority": "normal"},
    )
    assert "No active rules" in response.content.decode()
    response = admin_client.post(
        reverse("admin:routing_rule_tester"),
        {"case": "CW-99999", "channel": "email", "priority": "normal"},
    )
    assert "No case with this number." in response.content.decode()


def test_saving_queue_routing_touches_the_queue(admin_client, default_queue):
    before = default_queue.updated_at
    response = admin_client.post(
        reverse("admin:routing_queuerouting_add"),
        {"queue": default_queue.pk, "method": "round_robin", "priority": 0, "work_kind": "case",
         "max_declines": 3, "average_handle_minutes": 30, "overflow_action": "", "wait_action": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert QueueRouting.objects.get().method == "round_robin"
    default_queue.refresh_from_db()
    assert default_queue.updated_at > before


def test_agents_cannot_use_the_rule_tester(client, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:routing_rule_tester"))
    assert response.status_code in (302, 403)
