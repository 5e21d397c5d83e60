"""Routing rules place a new case: conditions, order, actions, overflow, the recorded why."""

import datetime
from dataclasses import replace

import pytest

from caseway.cases.models import Case
from caseway.cases.tests.factories import QueueFactory
from caseway.customers.tests.factories import AccountFactory, ContactFactory, IdentityFactory
from caseway.intake.services import receive
from caseway.routing.models import (
    CaseRequirement,
    DecisionKind,
    OverflowAction,
    QueueRouting,
    RoutingDecision,
    RoutingRule,
    RuleSkill,
    Skill,
)
from caseway.routing.rules import facts_for_case
from caseway.routing.services import place_case
from caseway.sla.tests.factories import (
    BusinessCalendarFactory,
    EntitlementFactory,
    SlaPolicyFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def premium_queue(db):
    return QueueFactory(name="Premium", slug="premium")


@pytest.fixture
def technical_queue(db):
    return QueueFactory(name="Technical", slug="technical")


def rule(queue, order=10, **conditions):
    return RoutingRule.objects.create(
        name=f"to {queue.name}", order=order, queue=queue, **conditions
    )


def test_no_rule_means_the_default_queue_and_it_says_so(make_message, customer, default_queue):
    case = receive(make_message()).case
    assert case.queue == default_queue
    decision = RoutingDecision.objects.get(case=case)
    assert decision.kind == DecisionKind.ROUTE and decision.rule is None
    assert decision.summary == "No rule matched: the default queue."


def test_preferred_enterprise_contract_customer_goes_to_premium(
    make_message, customer, premium_queue, default_queue
):
    EntitlementFactory(account=customer.account)
    premium = rule(premium_queue, preferred="yes", account_sizes=["enterprise"], has_contract="yes")
    case = receive(make_message()).case
    assert case.queue == premium_queue
    decision = RoutingDecision.objects.get(case=case)
    assert decision.rule == premium
    assert (
        "preferred customer" in decision.summary
        and "account size is enterprise" in decision.summary
    )
    assert decision.explanation["rules"][0]["matched"] is True


def test_non_contract_customer_falls_through_to_the_general_queue(
    make_message, premium_queue, default_queue
):
    rule(premium_queue, has_contract="yes")
    case = receive(make_message(email="walk-in@example.com")).case
    assert case.queue == default_queue
    trail = RoutingDecision.objects.get(case=case).explanation["rules"]
    assert trail == [
        {
            "rule_id": trail[0]["rule_id"],
            "rule": "to Premium",
            "matched": False,
            "checks": [{"condition": "contract", "passed": False, "detail": "has no contract"}],
        }
    ]


def test_first_matching_rule_in_order_wins(make_message, customer, premium_queue, technical_queue):
    rule(technical_queue, order=20, channels=["email"])
    first = rule(premium_queue, order=10, channels=["email"])
    assert receive(make_message()).case.queue == premium_queue
    assert RoutingDecision.objects.get().rule == first


def test_inactive_rules_are_skipped(make_message, customer, premium_queue, default_queue):
    rule(premium_queue, is_active=False)
    assert receive(make_message()).case.queue == default_queue


def test_words_in_subject_or_text_set_queue_priority_and_skills(
    make_message, customer, technical_queue
):
    router_skill = Skill.objects.create(name="Router X certified")
    matched = rule(technical_queue, keywords="router, modem", set_priority="high")
    RuleSkill.objects.create(rule=matched, skill=router_skill, min_proficiency=4)
    case = receive(make_message(subject="My ROUTER keeps rebooting")).case
    assert case.queue == technical_queue
    assert case.priority == "high"
    requirement = CaseRequirement.objects.get(case=case)
    assert (requirement.skill, requirement.min_proficiency) == (router_skill, 4)
    # Whole words only: "routers" is not "router", "modems" is not "modem".
    other = receive(make_message(subject="routers and modems")).case
    assert other.queue != technical_queue


def test_priority_set_by_routing_is_the_one_the_sla_uses(make_message, customer, technical_queue):
    rule(technical_queue, set_priority="urgent")
    case = receive(make_message()).case
    first = case.sla_instances.get(kpi="first_response")
    assert first.target_seconds == 60 * 60  # the standard policy's urgent target


def test_channel_language_product_and_sla_policy_conditions(make_message, customer, premium_queue):
    policy = SlaPolicyFactory()
    EntitlementFactory(contact=customer, policy=policy)
    rule(
        premium_queue,
        channels=["email"],
        languages=["en"],
        products=["Router X"],
        sla_policy=policy,
    )
    assert receive(make_message(meta={"product": "Router X"})).case.queue == premium_queue
    assert receive(make_message(meta={"product": "Toaster"})).case.queue != premium_queue


def test_business_hours_condition(make_message, customer, premium_queue):
    calendar = BusinessCalendarFactory(timezone="UTC")
    rule(premium_queue, business_hours="closed", calendar=calendar)
    facts = facts_for_case(receive(make_message()).case)
    saturday = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)
    tuesday = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)
    assert place_case(replace(facts, at=saturday)).queue == premium_queue
    assert place_case(replace(facts, at=tuesday)).queue != premium_queue


def test_edited_rules_apply_to_the_next_case(make_message, customer, premium_queue, default_queue):
    assert receive(make_message()).case.queue == default_queue  # rules compiled and cached
    rule(premium_queue)
    assert receive(make_message()).case.queue == premium_queue
    RoutingRule.objects.update(is_active=False)  # an update() bumps no timestamp...
    RoutingRule.objects.get().save()  # ...a save does, as the admin does
    assert receive(make_message()).case.queue == default_queue


class TestOverflowBeforeQueueing:
    @pytest.fixture
    def spill(self, db):
        return QueueFactory(name="Spill", slug="spill")

    def test_a_full_queue_overflows_to_another(self, make_message, customer, premium_queue, spill):
        rule(premium_queue)
        QueueRouting.objects.create(
            queue=premium_queue,
            overflow_max_items=2,
            overflow_action=OverflowAction.MOVE_QUEUE,
            overflow_queue=spill,
        )
        premium_queue.save()  # routing settings are edited with their queue
        queues = [receive(make_message()).case.queue for _ in range(3)]
        assert queues == [premium_queue, premium_queue, spill]
        decision = RoutingDecision.objects.filter(case__queue=spill).get()
        assert "2 cases already wait" in decision.summary
        assert decision.explanation["overflow"]["action"] == "move_queue"

    def test_a_closed_queue_raises_priority_or_notifies(
        self, make_message, customer, premium_queue, admin_user
    ):
        calendar = BusinessCalendarFactory(timezone="UTC", weekdays=[])  # never open
        rule(premium_queue)
        QueueRouting.objects.create(
            queue=premium_queue,
            calendar=calendar,
            overflow_when_closed=True,
            overflow_action=OverflowAction.NOTIFY,
        )
        premium_queue.supervisors.add(admin_user)
        premium_queue.save()
        case = receive(make_message()).case
        assert case.queue == premium_queue
        assert case.notifications.get().recipient == admin_user

        QueueRouting.objects.update(overflow_action=OverflowAction.RAISE_PRIORITY)
        premium_queue.save()
        assert receive(make_message()).case.priority == "high"

    def test_expected_wait_counts_available_agents(
        self, make_message, customer, premium_queue, spill
    ):
        rule(premium_queue)
        QueueRouting.objects.create(
            queue=premium_queue,
            overflow_max_expected_wait_minutes=45,
            average_handle_minutes=30,
            overflow_action=OverflowAction.MOVE_QUEUE,
            overflow_queue=spill,
        )
        premium_queue.save()
        # Nobody available: the first case would wait 30 min, the second 60.
        assert receive(make_message()).case.queue == premium_queue
        assert receive(make_message()).case.queue == spill


def test_rule_tester_explains_an_existing_case(make_message, customer, premium_queue):
    case = receive(make_message()).case
    rule(premium_queue, account_sizes=["enterprise"])
    placement = place_case(facts_for_case(case))
    assert placement.queue == premium_queue
    assert Case.objects.get(pk=case.pk).queue != premium_queue  # testing changes nothing


def test_contact_without_account_has_no_size(make_message, premium_queue, default_queue):
    rule(premium_queue, account_sizes=["small"])
    loner = ContactFactory(account=None)
    IdentityFactory(contact=loner, kind="email", address="loner@example.com")
    small = AccountFactory(size="small")
    member = ContactFactory(account=small)
    IdentityFactory(contact=member, kind="email", address="member@small.example")
    assert receive(make_message(email="loner@example.com")).case.queue == default_queue
    assert receive(make_message(email="member@small.example")).case.queue == premium_queue


def test_a_rule_follows_its_calendar_edited_after_compiling(make_message, customer, premium_queue):
    calendar = BusinessCalendarFactory(timezone="UTC")  # Mon-Fri 09-17
    rule(premium_queue, business_hours="closed", calendar=calendar)
    facts = facts_for_case(receive(make_message()).case)
    saturday = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)
    assert place_case(replace(facts, at=saturday)).queue == premium_queue  # compiled, cached

    calendar.is_24x7 = True  # the support team now answers round the clock
    calendar.save()

    assert place_case(replace(facts, at=saturday)).queue != premium_queue
