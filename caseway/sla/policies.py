"""Compiled SLA policies: a policy with its targets, actions and calendar, read once per
version and kept in the process, because every new case needs one."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from caseway.cases.models import CaseStatus
from caseway.sla.calendar import WorkingCalendar
from caseway.sla.models import BusinessCalendar, CustomerTier, SlaPolicy


@dataclass(frozen=True)
class CompiledTarget:
    kpi: str
    priority: str
    tier: str
    target_seconds: int
    warn_seconds: int


@dataclass(frozen=True)
class CompiledAction:
    kpi: str
    moment: str
    kind: str
    queue_id: int | None


@dataclass(frozen=True)
class CompiledPolicy:
    id: int
    version: int
    name: str
    calendar: WorkingCalendar
    pause_statuses: frozenset[str]
    reopen_restarts: str
    channels: frozenset[str]
    priorities: frozenset[str]
    targets: tuple[CompiledTarget, ...]
    actions: tuple[CompiledAction, ...]

    def applies_to(self, *, channel: str, priority: str) -> bool:
        return (not self.channels or channel in self.channels) and (
            not self.priorities or priority in self.priorities
        )

    def target_for(self, *, kpi: str, priority: str, tier: str) -> CompiledTarget | None:
        """The most specific target: exact priority beats any, exact tier beats any."""
        best: CompiledTarget | None = None
        best_rank = -1
        for target in self.targets:
            if target.kpi != kpi:
                continue
            if target.priority not in ("", priority) or target.tier not in ("", tier):
                continue
            rank = (2 if target.priority else 0) + (1 if target.tier else 0)
            if rank > best_rank:
                best, best_rank = target, rank
        return best

    def actions_for(self, *, kpi: str, moment: str) -> list[CompiledAction]:
        return [a for a in self.actions if a.moment == moment and a.kpi in ("", kpi)]


def tier_of(*, is_preferred: bool) -> str:
    return CustomerTier.PREFERRED if is_preferred else CustomerTier.STANDARD


def working_calendar(calendar: BusinessCalendar | None) -> WorkingCalendar:
    """The arithmetic form of a business calendar (None: 24x7)."""
    if calendar is None or calendar.is_24x7:
        return WorkingCalendar.twenty_four_seven()
    return WorkingCalendar.build(
        timezone=calendar.timezone,
        hours=[(h.weekday, h.opens_at, h.closes_at) for h in calendar.hours.all()],
        holidays=[h.date for h in calendar.holidays.all()],
    )


def compile_policy(policy: SlaPolicy) -> CompiledPolicy:
    pause = set()
    if policy.pause_when_waiting:
        pause.add(CaseStatus.WAITING)
    if policy.pause_when_on_hold:
        pause.add(CaseStatus.ON_HOLD)
    return CompiledPolicy(
        id=policy.pk,
        version=policy.version,
        name=policy.name,
        calendar=working_calendar(policy.calendar),
        pause_statuses=frozenset(str(s) for s in pause),
        reopen_restarts=policy.reopen_restarts,
        channels=frozenset(policy.channels or ()),
        priorities=frozenset(policy.priorities or ()),
        targets=tuple(
            CompiledTarget(
                kpi=t.kpi,
                priority=t.priority,
                tier=t.tier,
                target_seconds=t.target_minutes * 60,
                warn_seconds=max(0, t.target_minutes - t.warn_before_minutes) * 60,
            )
            for t in policy.targets.all()
        ),
        actions=tuple(
            CompiledAction(kpi=a.kpi, moment=a.moment, kind=a.kind, queue_id=a.queue_id)
            for a in policy.actions.all()
        ),
    )


# Keyed by (id, version, updated_at): ids come back after a rollback on SQLite, versions
# restart with a new row; the timestamp tells them apart.
_cache: dict[tuple[int, int, datetime], CompiledPolicy] = {}
_lock = threading.Lock()
_CACHE_SIZE = 256


def load_policy(policy: SlaPolicy | int) -> CompiledPolicy:
    """The compiled policy; from the process cache when given a policy row that is cached."""
    if isinstance(policy, SlaPolicy):
        cached = _cache.get((policy.pk, policy.version, policy.updated_at))
        if cached is not None:
            return cached
        policy_id = policy.pk
    else:
        policy_id = policy
    row = (
        SlaPolicy.objects.select_related("calendar")
        .prefetch_related("targets", "actions", "calendar__hours", "calendar__holidays")
        .get(pk=policy_id)
    )
    compiled = compile_policy(row)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[(row.pk, row.version, row.updated_at)] = compiled
    return compiled


def clear_policy_cache() -> None:
    with _lock:
        _cache.clear()
