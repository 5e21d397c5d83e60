"""Reads of the sla app: clocks at an instant, a case's summary, the prefetch for a page of
cases, and which timers at risk each user sees."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from caseway.cases import services as case_services
from caseway.cases.models import Case, CaseStatus
from caseway.cases.tests.factories import QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.intake.services import receive
from caseway.sla.escalation import fire_due_sla_actions
from caseway.sla.models import EntitlementTerm, SlaInstance, SlaKpi, SlaStatus
from caseway.sla.queries import (
    RUNNING_TIMERS_ATTR,
    clock_for,
    most_urgent_clock,
    running_timers_prefetch,
    sla_summary_for_case,
    timers_at_risk_visible_to,
    timers_for_cases,
)
from caseway.sla.tests.factories import EntitlementFactory, add_targets

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_case(make_message, customer, default_queue):
    """A new case from Carol (Globex, no contract: the default entitlement)."""

    def make(**overrides) -> Case:
        return receive(make_message(**overrides)).case

    return make


def timer(case: Case, kpi: str) -> SlaInstance:
    return SlaInstance.objects.select_related("policy").get(case=case, kpi=kpi)


# Clocks


def test_new_case_has_running_first_response_and_resolution_clocks(new_case):
    case = new_case()

    summary = sla_summary_for_case(case)

    assert summary is not None
    assert summary.policy_name == "Standard support"
    assert summary.entitlement is not None
    assert summary.entitlement.name == "Standard support (no contract)"
    assert not summary.entitlement.is_limited
    assert [c.kpi for c in summary.clocks] == [SlaKpi.FIRST_RESPONSE, SlaKpi.RESOLUTION]
    assert all(c.is_running and not c.is_paused for c in summary.clocks)


def test_clock_state_follows_the_warning_and_due_times(new_case):
    first = timer(new_case(), SlaKpi.FIRST_RESPONSE)

    before = clock_for(first, now=first.started_at)
    warned = clock_for(first, now=first.warn_at + timedelta(seconds=1))
    overdue = clock_for(first, now=first.due_at + timedelta(minutes=5))

    assert before.state == SlaStatus.IN_PROGRESS
    assert before.seconds_left == (first.due_at - first.started_at).total_seconds()
    assert warned.state == SlaStatus.NEARING
    assert overdue.state == SlaStatus.BREACHED
    assert overdue.seconds_left == -300
    assert overdue.is_at_risk and warned.is_at_risk and not before.is_at_risk


def test_clock_stamped_breached_by_the_sweep_reads_breached(new_case):
    case = new_case()
    fire_due_sla_actions(now=timezone.now() + timedelta(days=30))

    clock = most_urgent_clock(case, now=timer(case, SlaKpi.FIRST_RESPONSE).started_at)

    assert clock is not None
    assert clock.state == SlaStatus.BREACHED


def test_paused_clock_reads_business_time_left(new_case, agent, django_capture_on_commit_callbacks):
    case = new_case()
    with django_capture_on_commit_callbacks(execute=True):
        case_services.change_status(case=case, status=CaseStatus.WAITING, actor=agent)
    first = timer(case, SlaKpi.FIRST_RESPONSE)
    assert first.paused_since is not None

    clock = clock_for(first, now=first.paused_since + timedelta(days=3))

    assert clock.state == SlaStatus.PAUSED and clock.is_paused
    # No business time can have passed between receiving and pausing but a few seconds.
    assert first.target_seconds - 60 <= clock.seconds_left <= first.target_seconds
    assert clock.paused_seconds > 0  # three days paused include business hours


def test_answered_first_response_is_done_and_no_longer_most_urgent(
    new_case, agent, django_capture_on_commit_callbacks
):
    case = new_case()
    with django_capture_on_commit_callbacks(execute=True):
        case_services.record_reply(case=case, agent=agent, text="On it")

    summary = sla_summary_for_case(case)
    urgent = most_urgent_clock(case)

    assert summary is not None
    first = summary.clocks[0]
    assert first.kpi == SlaKpi.FIRST_RESPONSE
    assert first.state == SlaStatus.SUCCEEDED and not first.is_running
    assert [c.kpi for c in summary.running] == [SlaKpi.RESOLUTION]
    assert urgent is not None and urgent.kpi == SlaKpi.RESOLUTION


def test_case_without_timers_has_no_summary_and_no_clock(new_case):
    case = new_case()
    SlaInstance.objects.filter(case=case).delete()  # as for a case opened before SLAs existed

    assert sla_summary_for_case(case) is None
    assert most_urgent_clock(case) is None


def test_summary_shows_what_is_left_of_a_limited_contract(new_case, account):
    gold = EntitlementFactory(
        name="Gold, 10 cases",
        account=account,
        term=EntitlementTerm.CASES,
        total=10,
        remaining=10,
        policy__name="Gold support",
    )
    add_targets(gold.policy, first_response=60, resolution=480)

    summary = sla_summary_for_case(new_case())

    assert summary is not None and summary.entitlement is not None
    assert summary.policy_name == "Gold support"
    assert summary.entitlement.name == "Gold, 10 cases"
    assert summary.entitlement.is_limited and not summary.entitlement.is_exhausted
    assert summary.entitlement.remaining == Decimal(9)
    assert summary.entitlement.total == Decimal(10)


# A page of cases


def test_prefetch_loads_every_cases_running_timers_in_one_query(
    new_case, django_assert_num_queries
):
    for i in range(5):
        new_case(email=f"c{i}@example.test")

    with django_assert_num_queries(2):
        cases = list(Case.objects.prefetch_related(running_timers_prefetch()))
        clocks = [most_urgent_clock(case) for case in cases]

    assert len(cases) == 5
    for case, clock in zip(cases, clocks, strict=True):
        running = getattr(case, RUNNING_TIMERS_ATTR)
        assert [t.kpi for t in running] == [SlaKpi.FIRST_RESPONSE, SlaKpi.RESOLUTION]
        assert clock is not None and clock.kpi == SlaKpi.FIRST_RESPONSE


def test_timers_for_cases_gives_each_cases_most_urgent_running_clock(
    new_case, agent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    open_case = new_case(email="a@example.test")
    answered = new_case(email="b@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        case_services.record_reply(case=answered, agent=agent, text="Hello")

    with django_assert_num_queries(1):
        clocks = timers_for_cases([open_case.pk, answered.pk])

    assert clocks[open_case.pk].kpi == SlaKpi.FIRST_RESPONSE
    assert clocks[answered.pk].kpi == SlaKpi.RESOLUTION


# Timers at risk: who sees what


@pytest.fixture
def breached_case(new_case):
    """A case whose timers the sweep has stamped breached."""
    case = new_case()
    fire_due_sla_actions(now=timezone.now() + timedelta(days=30))
    return case


def test_member_of_the_queue_sees_its_breached_case_once(agent, breached_case):
    rows = timers_at_risk_visible_to(agent)

    assert [row.case.pk for row in rows] == [breached_case.pk]
    assert rows[0].clock.kpi == SlaKpi.FIRST_RESPONSE  # earliest due first
    assert rows[0].others == 1  # resolution breached too


def test_supervisor_who_is_not_a_member_sees_the_queues_cases(default_queue, breached_case):
    supervisor = UserFactory(username="sup", is_staff=True)
    default_queue.supervisors.add(supervisor)

    assert [row.case.pk for row in timers_at_risk_visible_to(supervisor)] == [breached_case.pk]


def test_admin_sees_every_queue(admin_user, breached_case):
    assert [row.case.pk for row in timers_at_risk_visible_to(admin_user)] == [breached_case.pk]


def test_agent_of_another_queue_and_a_customer_see_nothing(other_agent, customer, breached_case):
    assert timers_at_risk_visible_to(other_agent) == []
    assert customer.user is not None
    assert timers_at_risk_visible_to(customer.user) == []


def test_owner_sees_their_case_in_another_queue(agent, other_agent, breached_case):
    billing = QueueFactory(name="Escalations", slug="escalations")
    case_services.assign_case(case=breached_case, owner=other_agent, actor=agent)
    case_services.move_case(case=breached_case, queue=billing, actor=agent)

    assert [row.case.pk for row in timers_at_risk_visible_to(other_agent)] == [breached_case.pk]
    assert timers_at_risk_visible_to(agent) == []


def test_timer_counts_as_at_risk_within_the_hour_before_it_is_due(agent, new_case):
    case = new_case()
    first = timer(case, SlaKpi.FIRST_RESPONSE)

    early = timers_at_risk_visible_to(agent, now=first.due_at - timedelta(hours=2))
    soon = timers_at_risk_visible_to(agent, now=first.due_at - timedelta(minutes=30))

    assert early == []
    assert [row.case.pk for row in soon] == [case.pk]
    assert soon[0].clock.state == SlaStatus.NEARING


def test_paused_timer_is_not_at_risk_however_close_its_old_due_time(
    agent, new_case, django_capture_on_commit_callbacks
):
    case = new_case()
    with django_capture_on_commit_callbacks(execute=True):
        case_services.change_status(case=case, status=CaseStatus.WAITING, actor=agent)
    first = timer(case, SlaKpi.FIRST_RESPONSE)

    assert timers_at_risk_visible_to(agent, now=first.due_at) == []


def test_at_risk_cases_are_sorted_by_due_time(agent, new_case):
    cases = [new_case(email=f"c{i}@example.test") for i in range(3)]
    last_due = timer(cases[-1], SlaKpi.FIRST_RESPONSE).due_at

    rows = timers_at_risk_visible_to(agent, now=last_due - timedelta(minutes=10))

    # Received one after the other, so due one after the other (or at the same opening hour).
    assert [row.case.pk for row in rows] == [case.pk for case in cases]
    assert [row.clock.due_at for row in rows] == sorted(row.clock.due_at for row in rows)
