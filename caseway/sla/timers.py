"""The arithmetic of one SLA timer: start it, pause it, resume it, finish it, in memory.

Callers save the instance. Every duration is business time on the policy's calendar.
"""

from __future__ import annotations

from datetime import datetime

from caseway.sla.calendar import WorkingCalendar
from caseway.sla.models import SlaInstance, SlaStatus
from caseway.sla.policies import CompiledTarget


def new_timer(
    *,
    case_id: int,
    kpi: str,
    target: CompiledTarget,
    calendar: WorkingCalendar,
    policy_id: int,
    entitlement_id: int | None,
    at: datetime,
) -> SlaInstance:
    """A running timer that starts at `at`."""
    timer = SlaInstance(
        case_id=case_id,
        policy_id=policy_id,
        entitlement_id=entitlement_id,
        kpi=kpi,
        status=SlaStatus.IN_PROGRESS,
        target_seconds=target.target_seconds,
        warn_seconds=target.warn_seconds,
        started_at=at,
        paused_seconds=0.0,
    )
    schedule(timer, calendar)
    return timer


def schedule(timer: SlaInstance, calendar: WorkingCalendar) -> None:
    """Set warn_at and due_at from the start, the target and the time paused, and the next
    action the sweep must fire (none while paused or done)."""
    paused = timer.paused_seconds
    timer.warn_at = calendar.add(timer.started_at, timer.warn_seconds + paused)
    timer.due_at = calendar.add(timer.started_at, timer.target_seconds + paused)
    timer.next_action_at = next_action(timer)


def next_action(timer: SlaInstance) -> datetime | None:
    if timer.completed_at is not None or timer.paused_since is not None:
        return None
    if timer.warned_at is None and timer.warn_at < timer.due_at:
        return timer.warn_at
    if timer.breached_at is None:
        return timer.due_at
    return None


def running_status(timer: SlaInstance) -> str:
    if timer.breached_at is not None:
        return SlaStatus.BREACHED
    if timer.warned_at is not None:
        return SlaStatus.NEARING
    return SlaStatus.IN_PROGRESS


def pause(timer: SlaInstance, *, at: datetime) -> None:
    if timer.paused_since is not None or timer.completed_at is not None:
        return
    timer.paused_since = max(at, timer.started_at)
    if timer.breached_at is None:
        timer.status = SlaStatus.PAUSED
    timer.next_action_at = None


def resume(timer: SlaInstance, calendar: WorkingCalendar, *, at: datetime) -> None:
    """Push the due time out by the business time the timer was paused."""
    if timer.paused_since is None:
        return
    if at > timer.paused_since:
        timer.paused_seconds += calendar.between(timer.paused_since, at)
    timer.paused_since = None
    timer.status = running_status(timer)
    schedule(timer, calendar)


def finish(timer: SlaInstance, calendar: WorkingCalendar, *, at: datetime) -> None:
    """The KPI's event happened at `at`: succeeded if in time, else breached."""
    if timer.completed_at is not None:
        return
    if timer.paused_since is not None:
        resume(timer, calendar, at=at)
    timer.completed_at = at
    timer.next_action_at = None
    timer.status = SlaStatus.SUCCEEDED if at <= timer.due_at else SlaStatus.BREACHED


def cancel(timer: SlaInstance, *, at: datetime) -> None:
    if timer.completed_at is not None:
        return
    timer.completed_at = at
    timer.next_action_at = None
    timer.paused_since = None
    timer.status = SlaStatus.CANCELLED


def remaining_seconds(timer: SlaInstance, calendar: WorkingCalendar, *, now: datetime) -> float:
    """Business seconds left before the due time (negative once overdue)."""
    if timer.paused_since is not None:
        used = calendar.between(timer.started_at, timer.paused_since) - timer.paused_seconds
        return timer.target_seconds - used
    if now <= timer.due_at:
        return calendar.between(now, timer.due_at)
    return -calendar.between(timer.due_at, now)
