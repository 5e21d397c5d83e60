"""What the worker runs every few seconds for routing: overflow of cases that waited too long
in their queue, then assignment of whatever still waits (capacity that freed up, agents who
came back, offers that were declined).

Each overflow is decided in its own transaction that locks the case and records an OVERFLOW
decision with the action, so it happens once per wait, whichever worker gets there first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.models import OPEN_STATUSES, Case, priority_one_step_up
from caseway.core.events import publish
from caseway.routing.events import CaseRouted
from caseway.routing.models import DecisionKind, OverflowAction, QueueRouting, RoutingDecision
from caseway.routing.waiting import assign_waiting_cases

logger = logging.getLogger(__name__)

BATCH = 200


def overflow_waiting_cases(*, now: datetime | None = None) -> int:
    """Act on every case that waited longer than its queue allows; return how many."""
    now = now or timezone.now()
    done = 0
    settings = QueueRouting.objects.exclude(wait_action="").filter(wait_limit_minutes__isnull=False)
    for queue_settings in settings.select_related("queue", "wait_queue"):
        cutoff = now - timedelta(minutes=queue_settings.wait_limit_minutes or 0)
        waiting = (
            Case.objects.filter(
                queue_id=queue_settings.queue_id,
                owner__isnull=True,
                queued_at__lte=cutoff,
                status__in=OPEN_STATUSES,
            )
            .order_by("queued_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        for case_id in waiting:
            try:
                done += overflow_case(case_id=case_id, settings=queue_settings, now=now)
            except Exception:
                logger.exception("case %s could not overflow", case_id)
    return done


def overflow_case(*, case_id: int, settings: QueueRouting, now: datetime) -> int:
    """Apply the queue's while-queued action to one case, once per wait; 1 if it acted."""
    limit = timedelta(minutes=settings.wait_limit_minutes or 0)
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(skip_locked=True)
            .filter(
                pk=case_id,
                queue_id=settings.queue_id,
                owner__isnull=True,
                queued_at__lte=now - limit,
                status__in=OPEN_STATUSES,
            )
            .select_related("queue")
            .first()
        )
        if case is None or case.queued_at is None:
            return 0
        acted_this_wait = RoutingDecision.objects.filter(
            case=case, kind=DecisionKind.OVERFLOW, created_at__gte=case.queued_at
        ).exists()
        if acted_this_wait:
            return 0
        minutes = int((now - case.queued_at).total_seconds() // 60)
        waited = _("Waited %(m)d min in %(queue)s") % {"m": minutes, "queue": case.queue.name}
        action = settings.wait_action
        if action == OverflowAction.MOVE_QUEUE and settings.wait_queue is not None:
            summary = _("%(waited)s: moved to %(to)s.") % {
                "waited": waited, "to": settings.wait_queue.name
            }  # fmt: skip
            case_services.move_case(case=case, queue=settings.wait_queue, actor=None)
            publish(CaseRouted(case_id=case.pk, queue_id=settings.wait_queue.pk))
        elif action == OverflowAction.RAISE_PRIORITY:
            summary = _("%(waited)s: priority raised.") % {"waited": waited}
            case_services.change_priority(
                case=case, priority=priority_one_step_up(case.priority), actor=None
            )
        elif action == OverflowAction.NOTIFY:
            summary = _("%(waited)s: supervisors notified.") % {"waited": waited}
            supervisors = get_user_model().objects.filter(
                supervised_queues=case.queue_id, is_active=True
            )
            case_services.notify_users(recipients=list(supervisors), case=case, text=summary)
        else:
            return 0
        RoutingDecision.objects.create(
            case=case,
            kind=DecisionKind.OVERFLOW,
            queue=settings.wait_queue if action == OverflowAction.MOVE_QUEUE else case.queue,
            summary=summary[:300],
            explanation={"waited_minutes": minutes, "limit_minutes": settings.wait_limit_minutes,
                         "action": action},
            created_at=now,
        )  # fmt: skip
    return 1


def run_routing_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Overflow what waited too long, then assign what waits. Safe in several workers."""
    now = now or timezone.now()
    overflowed = overflow_waiting_cases(now=now)
    assigned = assign_waiting_cases()
    return overflowed, assigned
