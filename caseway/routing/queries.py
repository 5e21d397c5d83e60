"""Reads about agents and queues as routing sees them: capacity, load, presence, waiting cases.

An agent's capacity for a kind of work is the smallest of their capacity profiles of that kind
(settings.CASEWAY_DEFAULT_<KIND>_CAPACITY, reset when the work is done, when they have none).
What counts against it is what they hold now (reset IMMEDIATE) or what they got today in
their own timezone (reset END_OF_DAY).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Min, Q
from django.utils import timezone

from caseway.cases.models import OPEN_STATUSES, Case, CaseQuerySet, Queue
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    CapacityReset,
    Presence,
    QueueRouting,
    RoutingDecision,
    WorkKind,
)
from caseway.sla.calendar import WorkingCalendar
from caseway.sla.models import BusinessCalendar
from caseway.sla.policies import working_calendar


@dataclass(frozen=True)
class Capacity:
    """How much of one kind of work an agent may hold: `profile` names where it comes from
    ("" for the default)."""

    max_units: int
    reset: str
    profile: str = ""


@dataclass(frozen=True)
class LoadState:
    work_kind: str
    used: int
    capacity: Capacity
    active: int

    @property
    def left(self) -> int:
        return max(0, self.capacity.max_units - self.used)

    @property
    def is_full(self) -> bool:
        return self.used >= self.capacity.max_units


@dataclass(frozen=True)
class AgentState:
    """An agent's presence and, per kind of work, their load against their capacity."""

    agent_id: int
    presence: str
    is_auto_busy: bool
    loads: tuple[LoadState, ...]

    @property
    def is_full(self) -> bool:
        return any(load.is_full for load in self.loads)


def default_capacity(work_kind: str) -> Capacity:
    """The capacity of an agent who has no profile of this kind of work."""
    units = (
        settings.CASEWAY_DEFAULT_CHAT_CAPACITY
        if work_kind == WorkKind.CHAT
        else settings.CASEWAY_DEFAULT_CASE_CAPACITY
    )
    return Capacity(max_units=int(units), reset=CapacityReset.IMMEDIATE)


def capacities(agent_ids: list[int], work_kind: str) -> dict[int, Capacity]:
    """Each agent's capacity for `work_kind`: the smallest of their profiles, else the default.

    One query for any number of agents.
    """
    through = AgentProfile.capacity_profiles.through
    rows = (
        through.objects.filter(
            agentprofile__agent_id__in=agent_ids, capacityprofile__work_kind=work_kind
        )
        .values_list(
            "agentprofile__agent_id",
            "capacityprofile__max_units",
            "capacityprofile__reset",
            "capacityprofile__name",
        )
        .order_by("capacityprofile__max_units", "capacityprofile_id")
    )
    found: dict[int, Capacity] = {}
    for agent_id, units, reset, name in rows:
        found.setdefault(agent_id, Capacity(max_units=units, reset=reset, profile=name))
    default = default_capacity(work_kind)
    return {agent_id: found.get(agent_id, default) for agent_id in agent_ids}


def agent_timezone(agent_id: int) -> str:
    """The timezone of the agent's working hours, else the site's."""
    tz = (
        AgentProfile.objects.filter(agent_id=agent_id)
        .values_list("working_hours__timezone", flat=True)
        .first()
    )
    return tz or settings.TIME_ZONE


def local_day(now: datetime, tz: str | None) -> date:
    """The date `now` falls on in timezone `tz` (the site's when empty)."""
    return now.astimezone(ZoneInfo(tz or settings.TIME_ZONE)).date()


def used_units(
    *, active: int, assigned_today: int, day: date | None, capacity: Capacity, today: date
) -> int:
    """What counts against a capacity: open items held, or items assigned today."""
    if capacity.reset == CapacityReset.END_OF_DAY:
        return assigned_today if day == today else 0
    return active


def work_kind_of_queue(queue_id: int) -> str:
    kind = QueueRouting.objects.filter(queue_id=queue_id).values_list("work_kind", flat=True)
    return kind.first() or WorkKind.CASE


def work_kind_of_case(case_id: int) -> str:
    kind = QueueRouting.objects.filter(queue__cases=case_id).values_list("work_kind", flat=True)
    return kind.first() or WorkKind.CASE


def _kind_filter(work_kind: str) -> Q:
    if work_kind == WorkKind.CASE:
        return Q(queue__routing__isnull=True) | Q(queue__routing__work_kind=WorkKind.CASE)
    return Q(queue__routing__work_kind=work_kind)


def open_owned_count(agent_id: int, work_kind: str) -> int:
    """How many open cases of queues doing `work_kind` the agent owns."""
    return (
        Case.objects.filter(owner_id=agent_id, status__in=OPEN_STATUSES)
        .filter(_kind_filter(work_kind))
        .count()
    )


def agents_state(agent_ids: list[int], *, now: datetime | None = None) -> dict[int, AgentState]:
    """Presence and load per kind of work of several agents (a supervisor's view)."""
    now = now or timezone.now()
    profiles: dict[int, dict[str, Any]] = {
        row["agent_id"]: dict(row)
        for row in AgentProfile.objects.filter(agent_id__in=agent_ids).values(
            "agent_id", "presence", "is_auto_busy", "working_hours__timezone"
        )
    }
    loads = {
        (load.agent_id, load.work_kind): load
        for load in AgentLoad.objects.filter(agent_id__in=agent_ids)
    }
    per_kind = {kind: capacities(agent_ids, kind) for kind in WorkKind.values}
    states = {}
    for agent_id in agent_ids:
        profile = profiles.get(agent_id, {})
        today = local_day(now, profile.get("working_hours__timezone"))
        rows = []
        for kind in WorkKind.values:
            capacity = per_kind[kind][agent_id]
            load = loads.get((agent_id, kind))
            active = load.active if load else 0
            used = used_units(
                active=active,
                assigned_today=load.assigned_today if load else 0,
                day=load.day if load else None,
                capacity=capacity,
                today=today,
            )
            rows.append(LoadState(work_kind=kind, used=used, capacity=capacity, active=active))
        states[agent_id] = AgentState(
            agent_id=agent_id,
            presence=profile.get("presence", Presence.OFFLINE),
            is_auto_busy=bool(profile.get("is_auto_busy", False)),
            loads=tuple(rows),
        )
    return states


def agent_state(agent: AbstractBaseUser, *, now: datetime | None = None) -> AgentState:
    """An agent's presence and their load against their capacity, per kind of work."""
    return agents_state([agent.pk], now=now)[agent.pk]


def waiting_cases(queue: Queue | int) -> CaseQuerySet:
    """The open cases of a queue that nobody owns, oldest waiting first."""
    queue_id = queue if isinstance(queue, int) else queue.pk
    return Case.objects.filter(
        queue_id=queue_id, owner__isnull=True, queued_at__isnull=False, status__in=OPEN_STATUSES
    ).order_by("queued_at", "pk")


@dataclass(frozen=True)
class QueueStats:
    queue_id: int
    waiting: int
    waiting_since: datetime | None
    agents_available: int


def queue_stats(queue_ids: list[int]) -> dict[int, QueueStats]:
    """Per queue: how many cases wait, since when the oldest, how many members are available.

    Two queries for any number of queues.
    """
    waiting = {
        row["queue_id"]: row
        for row in Case.objects.filter(
            queue_id__in=queue_ids,
            owner__isnull=True,
            queued_at__isnull=False,
            status__in=OPEN_STATUSES,
        )
        .values("queue_id")
        .annotate(n=Count("pk"), since=Min("queued_at"))
        .order_by()
    }
    available = dict(
        AgentProfile.objects.filter(
            agent__case_queues__in=queue_ids, presence=Presence.AVAILABLE, agent__is_active=True
        )
        .values("agent__case_queues")
        .annotate(n=Count("pk"))
        .values_list("agent__case_queues", "n")
        .order_by()
    )
    return {
        queue_id: QueueStats(
            queue_id=queue_id,
            waiting=waiting.get(queue_id, {}).get("n", 0),
            waiting_since=waiting.get(queue_id, {}).get("since"),
            agents_available=available.get(queue_id, 0),
        )
        for queue_id in queue_ids
    }


def latest_decision(case_id: int) -> RoutingDecision | None:
    return RoutingDecision.objects.filter(case_id=case_id).order_by("-created_at", "-pk").first()


def decisions_of(case: Case) -> list[RoutingDecision]:
    """The routing decisions of a case, oldest first, with their queue and agent."""
    return list(RoutingDecision.objects.filter(case=case).select_related("queue", "agent", "rule"))


# Working hours are read for every assignment: keep the arithmetic form per content.
_calendars: dict[tuple[object, ...], WorkingCalendar] = {}
_calendars_lock = threading.Lock()


def working_calendars(calendar_ids: set[int]) -> dict[int, WorkingCalendar]:
    """The working calendars of these ids (three queries, compiled once per content)."""
    if not calendar_ids:
        return {}
    result = {}
    rows = BusinessCalendar.objects.filter(pk__in=calendar_ids).prefetch_related(
        "hours", "holidays"
    )
    for calendar in rows:
        key = (
            calendar.pk,
            calendar.timezone,
            calendar.is_24x7,
            tuple((h.weekday, h.opens_at, h.closes_at) for h in calendar.hours.all()),
            tuple(h.date for h in calendar.holidays.all()),
        )
        compiled = _calendars.get(key)
        if compiled is None:
            compiled = working_calendar(calendar)
            with _calendars_lock:
                if len(_calendars) > 512:
                    _calendars.clear()
                _calendars[key] = compiled
        result[calendar.pk] = compiled
    return result
