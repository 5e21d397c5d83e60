"""The SLA sweep: due warnings and breaches fire once, run their actions, and leave paused or
answered timers alone."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.utils import timezone

from caseway.cases import services as case_services
from caseway.cases.models import (
    Activity,
    ActivityKind,
    AuditEntry,
    CasePriority,
    CaseStatus,
    Notification,
)
from caseway.cases.tests.factories import CaseFactory, QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.sla.escalation import due_timer_ids, fire_due_sla_actions
from caseway.sla.models import (
    SlaAction,
    SlaActionKind,
    SlaInstance,
    SlaKpi,
    SlaMoment,
    SlaPolicy,
    SlaStatus,
    SlaTarget,
)
from caseway.sla.policies import load_policy
from caseway.sla.services import SlaChoice, start_sla

# A 24x7 policy: first response in 60 minutes, warned 10 minutes before; resolution in 8 hours.
WARN = timedelta(minutes=50)
DUE = timedelta(minutes=60)


def make_policy(*actions, first_response=60, resolution=480, name="Sweep test"):
    """A 24x7 policy with targets for any priority and the given (moment, kind, queue)."""
    policy = SlaPolicy.objects.create(name=name, calendar=None)
    for kpi, minutes in ((SlaKpi.FIRST_RESPONSE, first_response), (SlaKpi.RESOLUTION, resolution)):
        SlaTarget.objects.create(
            policy=policy, kpi=kpi, target_minutes=minutes, warn_before_minutes=10
        )
    for moment, kind, *queue in actions:
        SlaAction.objects.create(
            policy=policy, moment=moment, kind=kind, queue=queue[0] if queue else None
        )
    return policy


def open_case_with_sla(policy, *, at, **case_fields):
    case = CaseFactory(**case_fields)
    start_sla(case=case, choice=SlaChoice(None, load_policy(policy), "standard"), at=at)
    return case


def sla_entries(case, moment=None):
    entries = Activity.objects.filter(case=case, kind=ActivityKind.SLA)
    if moment is not None:
        entries = entries.filter(data__sla=moment)
    return list(entries)


def first_response_timer(case):
    return SlaInstance.objects.get(case=case, kpi=SlaKpi.FIRST_RESPONSE)


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.mark.django_db
def test_a_due_warning_fires_once_when_the_sweep_runs_twice(start):
    case = open_case_with_sla(make_policy(), at=start)

    assert fire_due_sla_actions(now=start + WARN + timedelta(seconds=1)) == 1
    assert fire_due_sla_actions(now=start + WARN + timedelta(seconds=2)) == 0

    [entry] = sla_entries(case)
    assert entry.data["sla"] == SlaMoment.WARNING
    assert entry.data["kpi"] == SlaKpi.FIRST_RESPONSE
    timer = first_response_timer(case)
    assert timer.status == SlaStatus.NEARING
    assert timer.warned_at == start + WARN + timedelta(seconds=1)
    assert timer.breached_at is None
    assert timer.next_action_at == start + DUE


@pytest.mark.django_db
def test_a_due_breach_fires_once_when_the_sweep_runs_twice(start):
    case = open_case_with_sla(make_policy(), at=start)
    fire_due_sla_actions(now=start + WARN)

    assert fire_due_sla_actions(now=start + DUE) == 1
    assert fire_due_sla_actions(now=start + DUE + timedelta(minutes=5)) == 0

    assert len(sla_entries(case, SlaMoment.WARNING)) == 1
    assert len(sla_entries(case, SlaMoment.BREACH)) == 1
    timer = first_response_timer(case)
    assert timer.status == SlaStatus.BREACHED
    assert timer.breached_at == start + DUE
    assert timer.next_action_at is None
    assert timer.completed_at is None  # still waiting for the first response


@pytest.mark.django_db
def test_a_sweep_late_past_both_moments_reports_the_breach_only(start):
    case = open_case_with_sla(make_policy(), at=start)

    fire_due_sla_actions(now=start + DUE + timedelta(minutes=1))

    assert [e.data["sla"] for e in sla_entries(case)] == [SlaMoment.BREACH]
    timer = first_response_timer(case)
    assert timer.warned_at is not None and timer.breached_at is not None


@pytest.mark.django_db
def test_the_sweep_query_finds_only_due_running_timers(start):
    due = open_case_with_sla(make_policy(), at=start)
    later = open_case_with_sla(make_policy(name="Later"), at=start + timedelta(minutes=30))

    ids = due_timer_ids(now=start + WARN)

    assert ids == [first_response_timer(due).pk]
    assert first_response_timer(later).pk not in ids


@pytest.mark.django_db
def test_breach_raises_the_priority_one_step_and_audits_it(start):
    policy = make_policy((SlaMoment.BREACH, SlaActionKind.RAISE_PRIORITY))
    case = open_case_with_sla(policy, at=start, priority=CasePriority.NORMAL)

    fire_due_sla_actions(now=start + DUE)
    fire_due_sla_actions(now=start + DUE + timedelta(minutes=1))

    case.refresh_from_db()
    assert case.priority == CasePriority.HIGH
    [audit] = AuditEntry.objects.filter(case=case, field="priority")
    assert (audit.before, audit.after, audit.actor) == ("normal", "high", None)


@pytest.mark.django_db
def test_an_urgent_case_stays_urgent_and_nothing_is_audited(start):
    policy = make_policy((SlaMoment.BREACH, SlaActionKind.RAISE_PRIORITY))
    case = open_case_with_sla(policy, at=start, priority=CasePriority.URGENT)

    fire_due_sla_actions(now=start + DUE)

    case.refresh_from_db()
    assert case.priority == CasePriority.URGENT
    assert not AuditEntry.objects.filter(case=case, field="priority").exists()


@pytest.mark.django_db
def test_notify_tells_the_owner_and_the_queue_supervisors_once_each_by_email(
    start, agent, default_queue, django_capture_on_commit_callbacks
):
    lead = UserFactory(username="lead", email="lead@caseway.test", is_staff=True)
    both = UserFactory(username="both", email="both@caseway.test", is_staff=True)
    gone = UserFactory(username="gone", email="gone@caseway.test", is_active=False)
    default_queue.supervisors.add(lead, both, gone)
    policy = make_policy((SlaMoment.WARNING, SlaActionKind.NOTIFY))
    case = open_case_with_sla(policy, at=start, owner=both, queue=default_queue)
    other = open_case_with_sla(policy, at=start, owner=agent, queue=default_queue)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fire_due_sla_actions(now=start + WARN)
    with django_capture_on_commit_callbacks(execute=True):
        fire_due_sla_actions(now=start + WARN + timedelta(minutes=1))

    told = Notification.objects.filter(case=case)
    assert sorted(n.recipient.username for n in told) == ["both", "lead"]
    assert {n.recipient.username for n in Notification.objects.filter(case=other)} == {
        "agent",
        "both",
        "lead",
    }
    assert all("nearing breach" in n.text and case.number in n.text for n in told)
    assert all(n.emailed_at is not None for n in Notification.objects.all())
    assert sorted(m.to[0] for m in mail.outbox if case.number in m.subject) == [
        "both@caseway.test",
        "lead@caseway.test",
    ]
    assert len(mail.outbox) == 5


@pytest.mark.django_db
def test_breach_moves_the_case_to_the_escalation_queue_and_audits_it(start, default_queue):
    escalations = QueueFactory(name="Escalations", slug="escalations")
    policy = make_policy((SlaMoment.BREACH, SlaActionKind.MOVE_QUEUE, escalations))
    case = open_case_with_sla(policy, at=start, queue=default_queue)

    fire_due_sla_actions(now=start + WARN)
    case.refresh_from_db()
    assert case.queue == default_queue  # a warning does not move it

    fire_due_sla_actions(now=start + DUE)
    fire_due_sla_actions(now=start + DUE + timedelta(minutes=1))

    case.refresh_from_db()
    assert case.queue == escalations
    [audit] = AuditEntry.objects.filter(case=case, field="queue")
    assert (audit.before, audit.after) == (default_queue.name, "Escalations")


@pytest.mark.django_db
def test_a_timer_paused_while_the_case_waits_on_the_customer_does_not_fire(
    start, agent, django_capture_on_commit_callbacks
):
    case = open_case_with_sla(make_policy(), at=start, owner=agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.record_reply(
            case=case,
            agent=agent,
            text="Could you send the log?",
            status=CaseStatus.WAITING,
            at=start + timedelta(minutes=5),
        )
    resolution = SlaInstance.objects.get(case=case, kpi=SlaKpi.RESOLUTION)
    assert resolution.status == SlaStatus.PAUSED
    assert resolution.next_action_at is None

    assert fire_due_sla_actions(now=start + timedelta(hours=9)) == 0

    assert sla_entries(case) == []
    resolution.refresh_from_db()
    assert resolution.warned_at is None and resolution.breached_at is None


@pytest.mark.django_db
def test_the_sweep_brings_a_timer_in_step_with_a_waiting_case_before_firing(start):
    """The handler that pauses timers runs after commit; if it never ran, the sweep itself
    sees the case waiting and pauses the timer instead of warning."""
    case = open_case_with_sla(make_policy(), at=start)
    case.__class__.objects.filter(pk=case.pk).update(
        status=CaseStatus.WAITING, status_changed_at=start + timedelta(minutes=20)
    )

    assert fire_due_sla_actions(now=start + DUE) == 0

    assert sla_entries(case) == []
    timer = first_response_timer(case)
    assert timer.status == SlaStatus.PAUSED
    assert timer.next_action_at is None


@pytest.mark.django_db
def test_a_reply_before_the_due_time_means_no_breach(
    start, agent, django_capture_on_commit_callbacks
):
    case = open_case_with_sla(make_policy(), at=start, owner=agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.record_reply(
            case=case, agent=agent, text="On it.", at=start + timedelta(minutes=30)
        )

    fire_due_sla_actions(now=start + DUE + timedelta(minutes=5))

    assert sla_entries(case) == []
    timer = first_response_timer(case)
    assert timer.status == SlaStatus.SUCCEEDED
    assert timer.completed_at == start + timedelta(minutes=30)
    assert timer.breached_at is None


@pytest.mark.django_db
def test_a_reply_the_handler_missed_still_prevents_the_breach(start, agent):
    case = open_case_with_sla(make_policy(), at=start, owner=agent)
    replied = start + timedelta(minutes=55)  # after the warning time, before the due time
    case.__class__.objects.filter(pk=case.pk).update(
        last_reply_at=replied, first_response_at=replied, status=CaseStatus.ACTIVE
    )

    fire_due_sla_actions(now=start + DUE + timedelta(minutes=5))

    assert sla_entries(case) == []
    timer = first_response_timer(case)
    assert timer.status == SlaStatus.SUCCEEDED
    assert timer.breached_at is None


# Real concurrency ----------------------------------------------------------------------------

CASES = 12


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_time_fire_each_moment_once(start, default_queue):
    """Two threads, each with its own connection, sweep the same due timers at once:
    SELECT ... FOR UPDATE SKIP LOCKED and the stamp committed with the actions make each
    warning and breach fire once (one timeline entry, one notification per person)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's; SQLite serializes writers "
            "instead, proven across processes in caseway/cli/tests/test_worker_sla.py"
        )
    lead = UserFactory(username="lead", email="lead@caseway.test", is_staff=True)
    default_queue.supervisors.add(lead)
    policy = make_policy(
        (SlaMoment.WARNING, SlaActionKind.NOTIFY),
        (SlaMoment.BREACH, SlaActionKind.NOTIFY),
        (SlaMoment.BREACH, SlaActionKind.RAISE_PRIORITY),
    )
    warned = [open_case_with_sla(policy, at=start, queue=default_queue) for _ in range(CASES)]
    breached = [
        open_case_with_sla(policy, at=start - timedelta(minutes=15), queue=default_queue)
        for _ in range(CASES)
    ]
    fire_due_sla_actions(now=start - timedelta(minutes=15) + WARN)  # warn `breached` first
    Notification.objects.all().delete()
    Activity.objects.filter(kind=ActivityKind.SLA).delete()
    mail.outbox.clear()
    now = start + WARN + timedelta(seconds=30)  # warnings of `warned`, breaches of `breached`
    fired = run_in_threads(lambda: fire_due_sla_actions(now=now), 2)

    assert sum(fired) == 2 * CASES
    for case in warned:
        assert [e.data["sla"] for e in sla_entries(case)] == [SlaMoment.WARNING]
        assert Notification.objects.filter(case=case).count() == 1
    for case in breached:
        assert [e.data["sla"] for e in sla_entries(case)] == [SlaMoment.BREACH]
        assert Notification.objects.filter(case=case).count() == 1
        assert AuditEntry.objects.filter(case=case, field="priority").count() == 1
    assert len(mail.outbox) == 2 * CASES


def run_in_threads(target, count):
    """Run target() in `count` threads released together; return their results."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results
