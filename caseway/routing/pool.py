"""A queue's candidate pool for one batch of assignments: its members as plain values, the
available ones locked, and for each the load and capacity the batch counts against.

Read once per batch, not once per case, and kept in step in memory as the batch gives cases
out. The pool holds the profile and load rows of its available members locked until the
batch commits, so the plan made in memory is exactly what the database allows: parallel
assigners never push an agent past capacity, and an agent cannot go offline half way.

Lock order (as in presence.py): case rows, the queue's routing row (round robin), profile rows
by agent id, load rows by agent id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model

from caseway.routing.models import AgentLoad, AgentProfile, Presence
from caseway.routing.queries import (
    Capacity,
    capacities,
    local_day,
    used_units,
    working_calendars,
)
from caseway.routing.ranking import Candidate, Skip


class MissingLoads(Exception):
    """Some members have no load row yet: make them outside the transaction, try again."""

    def __init__(self, agent_ids: list[int]) -> None:
        super().__init__(agent_ids)
        self.agent_ids = agent_ids


@dataclass
class Member:
    agent_id: int
    name: str
    is_agent: bool
    presence: str  # "offline" for an agent who has no routing profile yet
    working_hours_id: int | None
    hours_name: str
    timezone: str | None
    last_assigned_at: datetime | None


@dataclass
class Pool:
    """The members of a queue for one work kind, as one batch sees them."""

    work_kind: str
    # Not agents, not available, or outside their working hours: the same for every case.
    skipped: list[Skip] = field(default_factory=list)
    # Available and within hours, in member order; `used` counts what the batch gave out.
    candidates: list[Candidate] = field(default_factory=list)
    # Per candidate: assigned today (0 if the row's day is another) before the batch.
    assigned_today: dict[int, int] = field(default_factory=dict)
    given: dict[int, int] = field(default_factory=dict)  # cases given out by the batch

    def name_of(self, agent_id: int) -> str | None:
        for candidate in self.candidates:
            if candidate.agent_id == agent_id:
                return candidate.name
        for skipped_id, name, _reason, _detail in self.skipped:
            if skipped_id == agent_id:
                return name
        return None

    def give(self, candidate: Candidate, now: datetime) -> None:
        candidate.used += 1
        candidate.active += 1
        candidate.last_assigned_at = now
        self.given[candidate.agent_id] = self.given.get(candidate.agent_id, 0) + 1

    def new_loads(self) -> list[tuple[int, int, int, date]]:
        """(agent, active, assigned today, day) of every agent the batch gave cases to."""
        rows = []
        for candidate in self.candidates:
            n = self.given.get(candidate.agent_id)
            if n:
                rows.append(
                    (
                        candidate.agent_id,
                        candidate.active,
                        self.assigned_today[candidate.agent_id] + n,
                        candidate.today,
                    )
                )
        return rows

    def filled(self) -> list[int]:
        """Agents the batch gave cases to who are now at full capacity."""
        return [c.agent_id for c in self.candidates if self.given.get(c.agent_id) and c.left <= 0]


def _display_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def members(queue_id: int) -> list[Member]:
    """Everyone in the queue, in a stable order, with what routing needs: one query."""
    rows = (
        get_user_model()
        .objects.filter(case_queues=queue_id)
        .order_by("pk")
        .values_list(
            "pk", "first_name", "last_name", "username", "is_active", "is_staff",
            "routing_profile__presence", "routing_profile__working_hours_id",
            "routing_profile__working_hours__name", "routing_profile__working_hours__timezone",
            "routing_profile__last_assigned_at",
        )
    )  # fmt: skip
    return [
        Member(
            agent_id=pk,
            name=_display_name(first, last, username),
            is_agent=bool(active and staff),
            presence=presence or Presence.OFFLINE,
            working_hours_id=hours_id,
            hours_name=hours_name or "",
            timezone=tz,
            last_assigned_at=last_assigned,
        )
        for (pk, first, last, username, active, staff, presence, hours_id, hours_name, tz,
             last_assigned) in rows
    ]  # fmt: skip


def lock_pool(queue_id: int, work_kind: str, now: datetime) -> Pool:
    """The queue's pool, its available members' profile and load rows locked (in the
    caller's transaction). Raises MissingLoads when a member has no load row yet."""
    pool = Pool(work_kind=work_kind)
    everyone = members(queue_id)
    waiting_ids = [m.agent_id for m in everyone if m.is_agent and m.presence == Presence.AVAILABLE]
    # The presence that counts is the one read under the lock.
    presence = dict(
        AgentProfile.objects.select_for_update()
        .filter(agent_id__in=waiting_ids)
        .order_by("agent_id")
        .values_list("agent_id", "presence")
    )
    present: list[Member] = []
    for member in everyone:
        if not member.is_agent:
            pool.skipped.append((member.agent_id, member.name, "not_agent", ""))
            continue
        member.presence = presence.get(member.agent_id, member.presence)
        if member.presence != Presence.AVAILABLE:
            pool.skipped.append((member.agent_id, member.name, "presence", member.presence))
        else:
            present.append(member)
    if not present:
        return pool
    ids = [m.agent_id for m in present]
    loads = {
        agent_id: (active, assigned_today, day)
        for agent_id, active, assigned_today, day in AgentLoad.objects.select_for_update()
        .filter(agent_id__in=ids, work_kind=work_kind)
        .order_by("agent_id")
        .values_list("agent_id", "active", "assigned_today", "day")
    }
    if missing := [agent_id for agent_id in ids if agent_id not in loads]:
        raise MissingLoads(missing)
    capacity = capacities(ids, work_kind)
    calendars = working_calendars({m.working_hours_id for m in present if m.working_hours_id})
    for member in present:
        calendar = calendars.get(member.working_hours_id or 0)
        if calendar is not None and not calendar.is_open(now):
            pool.skipped.append((member.agent_id, member.name, "hours", member.hours_name))
            continue
        today = local_day(now, member.timezone)
        active, assigned_today, day = loads[member.agent_id]
        cap: Capacity = capacity[member.agent_id]
        used = used_units(
            active=active, assigned_today=assigned_today, day=day, capacity=cap, today=today
        )
        pool.assigned_today[member.agent_id] = assigned_today if day == today else 0
        pool.candidates.append(
            Candidate(
                agent_id=member.agent_id,
                name=member.name,
                last_assigned_at=member.last_assigned_at,
                capacity=cap,
                today=today,
                used=used,
                active=active,
            )
        )
    return pool
