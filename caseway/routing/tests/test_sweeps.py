"""Overflow while queued: a case that waits too long moves, rises or is reported, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from caseway.cases.models import Case
from caseway.cases.tests.factories import QueueFactory
from caseway.intake.services import receive
from caseway.routing.models import DecisionKind, OverflowAction, QueueRouting, RoutingDecision
from caseway.routing.sweeps import overflow_waiting_cases, run_routing_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_case(make_message, customer, default_queue):
    case = receive(make_message()).case
    Case.objects.filter(pk=case.pk).update(queued_at=timezone.now() - timedelta(minutes=45))
    return case


def limit(queue, **settings):
    return QueueRouting.objects.create(queue=queue, wait_limit_minutes=30, **settings)


def test_a_case_waiting_too_long_moves_to_another_queue_once(waiting_case, default_queue):
    spill = QueueFactory(name="Spill", slug="spill")
    limit(default_queue, wait_action=OverflowAction.MOVE_QUEUE, wait_queue=spill)

    assert overflow_waiting_cases() == 1
    assert overflow_waiting_cases() == 0

    case = Case.objects.get(pk=waiting_case.pk)
    assert case.queue == spill
    assert case.queued_at > timezone.now() - timedelta(minutes=1)  # waits afresh in Spill
    decision = RoutingDecision.objects.get(case=case, kind=DecisionKind.OVERFLOW)
    assert decision.summary.startswith("Waited 45 min in General: moved to Spill")


def test_raise_priority_happens_once_per_wait(waiting_case, default_queue):
    limit(default_queue, wait_action=OverflowAction.RAISE_PRIORITY)
    assert overflow_waiting_cases() == 1
    assert overflow_waiting_cases() == 0
    assert Case.objects.get(pk=waiting_case.pk).priority == "high"


def test_supervisors_are_notified(waiting_case, default_queue, admin_user):
    default_queue.supervisors.add(admin_user)
    limit(default_queue, wait_action=OverflowAction.NOTIFY)
    overflow_waiting_cases()
    assert waiting_case.notifications.get().recipient == admin_user


def test_owned_and_recent_cases_are_left_alone(waiting_case, default_queue, agent, make_message):
    limit(default_queue, wait_action=OverflowAction.RAISE_PRIORITY)
    fresh = receive(make_message()).case
    Case.objects.filter(pk=waiting_case.pk).update(owner=agent, queued_at=None)
    assert overflow_waiting_cases() == 0
    assert Case.objects.get(pk=fresh.pk).priority == "normal"


def test_the_sweep_assigns_what_waits(waiting_case, default_queue, agent):
    from caseway.routing.presence import set_presence

    set_presence(agent=agent, presence="available")
    run_routing_sweep()
    assert Case.objects.get(pk=waiting_case.pk).owner == agent
