"""The sweep: fire the warnings and breaches that are due, exactly once.

The worker calls fire_due_sla_actions() every SLA_SWEEP_SECONDS. One indexed query finds
timers whose next_action_at has passed; each is then handled in a transaction of its own that
locks the timer (SKIP LOCKED on PostgreSQL, so two workers share the work), brings it in step
with the case, stamps warned_at / breached_at and runs the policy's actions. The stamp and the
actions commit together, so an action runs once, whichever worker or restart comes first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.models import Case, Queue, priority_one_step_up
from caseway.sla import timers
from caseway.sla.models import SlaActionKind, SlaInstance, SlaKpi, SlaMoment
from caseway.sla.policies import CompiledAction, CompiledPolicy, load_policy
from caseway.sla.services import save_timers, sync_timer

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
RETRY_AFTER = timedelta(minutes=5)


def due_timer_ids(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Timers with a warning or breach due: one query on the partial next_action_at index."""
    return list(
        SlaInstance.objects.filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("pk", flat=True)[:limit]
    )


def fire_due_sla_actions(*, now: datetime | None = None) -> int:
    """Fire every warning and breach due by `now`; return how many fired."""
    now = now or timezone.now()
    fired = 0
    for timer_id in due_timer_ids(now=now):
        try:
            fired += fire_timer(timer_id=timer_id, now=now)
        except Exception:
            # One broken case must not stop the others, nor hold the head of the queue: it
            # is retried in a few minutes (what fires is decided by warn_at / due_at).
            logger.exception("SLA timer %s could not fire", timer_id)
            SlaInstance.objects.filter(pk=timer_id, next_action_at__isnull=False).update(
                next_action_at=now + RETRY_AFTER
            )
    return fired


def fire_timer(*, timer_id: int, now: datetime) -> int:
    """Handle one due timer; return the number of moments fired (0, 1 or 2)."""
    with transaction.atomic():
        timer = (
            SlaInstance.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("policy")
            .filter(pk=timer_id, next_action_at__lte=now)
            .first()
        )
        if timer is None:
            return 0  # another worker has it, or it is no longer due
        case = Case.objects.select_related("contact", "queue", "owner").get(pk=timer.case_id)
        policy = load_policy(timer.policy)
        if sync_timer(timer, case, policy, now=now) and timer.next_action_at is None:
            save_timers([timer])
            return 0
        moments = []
        if timer.warned_at is None and timer.warn_at <= now:
            timer.warned_at = now
            moments.append(SlaMoment.WARNING)
        if timer.breached_at is None and timer.due_at <= now:
            timer.breached_at = now
            if timer.warned_at is None:
                timer.warned_at = now
            moments.append(SlaMoment.BREACH)
        timer.status = timers.running_status(timer)
        timer.next_action_at = timers.next_action(timer)
        save_timers([timer])
        # A worker that was down past both moments reports the breach only.
        if SlaMoment.BREACH in moments:
            _escalate(timer, case, policy, SlaMoment.BREACH, now=now)
        elif moments:
            _escalate(timer, case, policy, SlaMoment.WARNING, now=now)
        return len(moments)


def _escalate(
    timer: SlaInstance, case: Case, policy: CompiledPolicy, moment: str, *, now: datetime
) -> None:
    kpi = SlaKpi(timer.kpi).label
    due = timezone.localtime(timer.due_at, timezone.get_default_timezone())
    if moment == SlaMoment.WARNING:
        text = _("%(kpi)s nearing breach: due %(due)s") % {"kpi": kpi, "due": f"{due:%d %b %H:%M}"}
    else:
        text = _("%(kpi)s breached: was due %(due)s") % {"kpi": kpi, "due": f"{due:%d %b %H:%M}"}
    case_services.add_system_event(
        case=case,
        text=text,
        data={"sla": moment, "kpi": timer.kpi, "timer_id": timer.pk, "policy": policy.name},
        at=now,
    )
    for action in policy.actions_for(kpi=timer.kpi, moment=moment):
        _run_action(action, case, text=f"{case.number}: {text}", now=now)


def _run_action(action: CompiledAction, case: Case, *, text: str, now: datetime) -> None:
    if action.kind == SlaActionKind.RAISE_PRIORITY:
        higher = priority_one_step_up(case.priority)
        if higher != case.priority:
            case_services.change_priority(case=case, priority=higher, actor=None)
            case.priority = higher
    elif action.kind == SlaActionKind.NOTIFY:
        users = get_user_model()
        recipients = list(users.objects.filter(supervised_queues=case.queue_id, is_active=True))
        if case.owner is not None:
            recipients.insert(0, case.owner)
        case_services.notify_users(recipients=recipients, case=case, text=text, at=now)
    elif action.kind == SlaActionKind.MOVE_QUEUE and action.queue_id:
        queue = Queue.objects.filter(pk=action.queue_id).first()
        if queue is not None and queue.pk != case.queue_id:
            case_services.move_case(case=case, queue=queue, actor=None)
            case.queue = queue
