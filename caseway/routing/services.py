"""Placing a new case: rules -> queue, priority and required skills; overflow before
queueing; the decision recorded with its explanation. Assignment to an agent follows after
commit (caseway.routing.assignment, through the CaseRouted handler).

intake.receive() calls place_case before it opens the case and record_placement after, in
its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.models import OPEN_STATUSES, Case, Queue, priority_one_step_up
from caseway.core import sql
from caseway.core.events import publish
from caseway.routing.events import CaseRouted
from caseway.routing.models import (
    AgentProfile,
    CaseRequirement,
    DecisionKind,
    OverflowAction,
    Presence,
    RoutingDecision,
)
from caseway.routing.rules import (
    CaseFacts,
    QueueOverflow,
    current_rules,
    describe,
    match_rule,
)


@dataclass(frozen=True)
class Placement:
    """Where a new case goes and why."""

    queue: Queue
    priority: str
    rule_id: int | None
    skills: tuple[tuple[int, str, int], ...]
    summary: str
    explanation: dict[str, Any] = field(default_factory=dict)
    notify_supervisors: bool = False
    is_anyone_available: bool = True


def place_case(facts: CaseFacts, *, home_queue: Queue | None = None) -> Placement:
    """Run the rules on a new case (one statement when the rules are cached), then the
    chosen queue's overflow check. With no matching rule the case goes to `home_queue`
    (the queue of the entry point it came through, such as a mailbox), else the default."""
    snapshot = current_rules()
    default, rule_set = home_queue or snapshot.default_queue, snapshot.rules
    match = match_rule(rule_set.rules, facts)
    rule = match.rule
    queue = rule.queue if rule else default
    priority = rule.set_priority if rule and rule.set_priority else facts.priority
    summary = describe(match)
    explanation: dict[str, Any] = {
        "rules": match.trail,
        "rule": rule.name if rule else None,
        "queue": queue.name,
        "priority": priority,
        "skills": [
            {"skill": name, "min": level} for _id, name, level in (rule.skills if rule else ())
        ],
    }
    notify = False
    overflow = rule_set.overflow.get(queue.pk)
    if overflow is not None:
        reason = overflow_reason(overflow, at=facts.at)
        if reason:
            explanation["overflow"] = {"reason": reason, "action": overflow.action}
            if overflow.action == OverflowAction.MOVE_QUEUE and overflow.overflow_queue:
                summary += " " + _("%(reason)s: overflowed from %(from)s to %(to)s.") % {
                    "reason": reason, "from": queue.name, "to": overflow.overflow_queue.name
                }  # fmt: skip
                queue = overflow.overflow_queue
                explanation["queue"] = queue.name
            elif overflow.action == OverflowAction.RAISE_PRIORITY:
                priority = priority_one_step_up(priority)
                explanation["priority"] = priority
                summary += " " + _("%(reason)s: priority raised.") % {"reason": reason}
            elif overflow.action == OverflowAction.NOTIFY:
                notify = True
                summary += " " + _("%(reason)s: supervisors notified.") % {"reason": reason}
    return Placement(
        queue=queue,
        priority=priority,
        rule_id=rule.id if rule else None,
        skills=rule.skills if rule else (),
        summary=summary,
        explanation=explanation,
        notify_supervisors=notify,
        is_anyone_available=snapshot.is_anyone_available,
    )


def waiting_count(queue_id: int) -> int:
    return Case.objects.filter(
        queue_id=queue_id, owner__isnull=True, queued_at__isnull=False, status__in=OPEN_STATUSES
    ).count()


def overflow_reason(overflow: QueueOverflow, *, at: datetime) -> str:
    """Why a new case should not wait in this queue, or "" (counts only what is configured)."""
    if overflow.when_closed and overflow.calendar is not None and not overflow.calendar.is_open(at):
        return _("The queue is closed")
    if overflow.max_items is None and overflow.max_expected_wait_minutes is None:
        return ""
    waiting = waiting_count(overflow.queue_id)
    if overflow.max_items is not None and waiting >= overflow.max_items:
        return _("%(n)d cases already wait") % {"n": waiting}
    if overflow.max_expected_wait_minutes is not None:
        available = AgentProfile.objects.filter(
            agent__case_queues=overflow.queue_id, presence=Presence.AVAILABLE
        ).count()
        expected = (waiting + 1) * overflow.average_handle_minutes / max(available, 1)
        if expected > overflow.max_expected_wait_minutes:
            return _("Expected wait %(m)d min") % {"m": round(expected)}
    return ""


def record_placement(*, case: Case, placement: Placement, at: datetime) -> None:
    """Keep the decision (and the skills the case needs), then hand the case to assignment
    after commit. Runs inside the caller's transaction."""
    sql.insert_many(
        [
            RoutingDecision(
                case=case,
                kind=DecisionKind.ROUTE,
                rule_id=placement.rule_id,
                queue=placement.queue,
                summary=placement.summary[:300],
                explanation=placement.explanation,
                created_at=at,
            )
        ]
    )
    if placement.skills:
        sql.insert_many(
            [
                CaseRequirement(case=case, skill_id=skill_id, min_proficiency=level)
                for skill_id, _name, level in placement.skills
            ]
        )
    if placement.notify_supervisors:
        supervisors = get_user_model().objects.filter(
            Q(supervised_queues=placement.queue.pk), is_active=True
        )
        case_services.notify_users(
            recipients=list(supervisors), case=case, text=placement.summary, at=at
        )
    if placement.is_anyone_available:
        # Assignment follows after commit. With nobody available anywhere it would only
        # record that the case waits; an agent who becomes available takes waiting cases.
        publish(CaseRouted(case_id=case.pk, queue_id=placement.queue.pk))
