"""Presence and capacity of agents: setting presence (offline gives work back to the queue),
busy automatically at full capacity, and the load rows assignment counts against capacity.

Concurrency: taking a unit of capacity by hand is one conditional UPDATE of the agent's
AgentLoad row; routing's batches hold the profile and load rows of a queue's available members
locked while they plan (pool.py). Either way parallel assigners never push an agent past
capacity. Lock order everywhere: case rows, profile rows by agent, load rows by agent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.exceptions import NotAnAgent
from caseway.cases.models import OPEN_STATUSES, Case
from caseway.cases.queries import is_agent
from caseway.core import sql
from caseway.core.events import publish
from caseway.routing.events import PresenceChanged
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    CapacityReset,
    DecisionKind,
    Offer,
    OfferStatus,
    Presence,
    RoutingDecision,
    WorkKind,
)
from caseway.routing.queries import (
    Capacity,
    agent_timezone,
    agents_state,
    capacities,
    local_day,
    open_owned_count,
    used_units,
)

logger = logging.getLogger(__name__)


def display_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def ensure_loads(agent_ids: list[int], work_kinds: Iterable[str] = WorkKind.values) -> None:
    """Create the missing load rows (a no-op for those that exist, safe in parallel).

    Call it before taking any row lock: an INSERT waits for a parallel uncommitted INSERT of
    the same row, and waiting for it while holding a lock could deadlock.
    """
    kinds = list(work_kinds)
    existing = set(
        AgentLoad.objects.filter(agent_id__in=agent_ids, work_kind__in=kinds).values_list(
            "agent_id", "work_kind"
        )
    )
    missing = [(a, k) for a in agent_ids for k in kinds if (a, k) not in existing]
    if missing:
        AgentLoad.objects.bulk_create(
            [AgentLoad(agent_id=a, work_kind=k) for a, k in missing], ignore_conflicts=True
        )


def ensure_agent_rows(agent: AbstractBaseUser) -> None:
    """Create the agent's routing profile and load rows if missing; before any row lock."""
    AgentProfile.objects.get_or_create(agent_id=agent.pk)
    ensure_loads([agent.pk])


def take_capacity(*, agent_id: int, work_kind: str, capacity: Capacity, today: date) -> bool:
    """Count one more item against the agent's capacity if they have room; tell whether so.

    One conditional UPDATE: parallel callers for the same agent queue on the row, and each
    sees the count the one before left. The load row must exist (ensure_loads).
    """
    if capacity.reset == CapacityReset.END_OF_DAY:
        room = Q(day=today, assigned_today__lt=capacity.max_units) | ~Q(day=today)
    else:
        room = Q(active__lt=capacity.max_units)
    updated = (
        AgentLoad.objects.filter(room, agent_id=agent_id, work_kind=work_kind)
        .update(
            active=F("active") + 1,
            assigned_today=SqlCase(
                When(day=today, then=F("assigned_today") + 1), default=Value(1)
            ),
            day=today,
        )
    )  # fmt: skip
    return updated == 1


def set_loads(work_kind: str, loads: list[tuple[int, int, int, date]]) -> None:
    """Write (agent, active, assigned today, day) for each agent: one UPDATE. The caller holds
    the load rows locked and computed the values from what it read under the lock."""
    sql.update_each(
        AgentLoad,
        "agent_id",
        {a: {"active": n, "assigned_today": t, "day": d} for a, n, t, d in loads},
        where=f"{sql.quote('work_kind', AgentLoad.objects.db)} = %s",
        where_params=[work_kind],
    )


def give_back_today(*, agent_id: int, work_kind: str, today: date) -> None:
    """Uncount an item assigned today that the agent declined (END_OF_DAY capacity)."""
    AgentLoad.objects.filter(
        agent_id=agent_id, work_kind=work_kind, day=today, assigned_today__gt=0
    ).update(assigned_today=F("assigned_today") - 1)


def load_used(*, agent_id: int, work_kind: str, capacity: Capacity, today: date) -> int:
    """What counts against the agent's capacity now (read the row you hold locked)."""
    row = (
        AgentLoad.objects.filter(agent_id=agent_id, work_kind=work_kind)
        .values_list("active", "assigned_today", "day")
        .first()
    )
    if row is None:
        return 0
    active, assigned_today, day = row
    return used_units(
        active=active, assigned_today=assigned_today, day=day, capacity=capacity, today=today
    )


@dataclass(frozen=True)
class LoadChange:
    """A recount: the load before and after, and whether the agent had and has room."""

    agent_id: int
    work_kind: str
    before: int
    after: int
    had_room: bool
    has_room: bool

    @property
    def freed(self) -> bool:
        """The agent was full and now has room."""
        return self.has_room and not self.had_room


def recount_load(*, agent_id: int, work_kind: str, now: datetime | None = None) -> LoadChange:
    """Set the agent's active count to the open cases they own; idempotent.

    Runs under the lock of the load row, so it never interleaves with an assignment that
    counted the agent's newest case.
    """
    now = now or timezone.now()
    capacity = capacities([agent_id], work_kind)[agent_id]
    today = local_day(now, agent_timezone(agent_id))
    ensure_loads([agent_id], [work_kind])
    with transaction.atomic():
        load = AgentLoad.objects.select_for_update().get(agent_id=agent_id, work_kind=work_kind)
        count = open_owned_count(agent_id, work_kind)
        if count != load.active:
            AgentLoad.objects.filter(pk=load.pk).update(active=count)

    def used(active: int) -> int:
        return used_units(
            active=active,
            assigned_today=load.assigned_today,
            day=load.day,
            capacity=capacity,
            today=today,
        )

    return LoadChange(
        agent_id=agent_id,
        work_kind=work_kind,
        before=load.active,
        after=count,
        had_room=used(load.active) < capacity.max_units,
        has_room=used(count) < capacity.max_units,
    )


def set_presence(
    *,
    agent: AbstractBaseUser,
    presence: str,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> AgentProfile:
    """Switch an agent's presence (their routing profile is made on first use).

    Available at full capacity becomes busy automatically. Offline gives every open case the
    agent owns back to its queue, each with a RELEASE decision; assignment hands them to
    someone else after commit (the CaseAssigned handler). `actor` None is the agent or Caseway.
    Raises NotAnAgent for a user who is not an agent.
    """
    if presence not in Presence.values:
        raise ValueError(f"unknown presence {presence!r}")
    if not is_agent(agent):
        raise NotAnAgent(str(agent))
    ensure_agent_rows(agent)
    return _set_presence(agent=agent, presence=presence, actor=actor, now=now or timezone.now())


@transaction.atomic
def _set_presence(
    *, agent: AbstractBaseUser, presence: str, actor: AbstractBaseUser | None, now: datetime
) -> AgentProfile:
    profile = AgentProfile.objects.select_for_update().get(agent_id=agent.pk)
    is_auto_busy = False
    if presence == Presence.AVAILABLE and agents_state([agent.pk], now=now)[agent.pk].is_full:
        presence, is_auto_busy = Presence.BUSY, True
    if profile.presence == presence and profile.is_auto_busy == is_auto_busy:
        return profile
    profile.presence = presence
    profile.is_auto_busy = is_auto_busy
    profile.presence_changed_at = now
    profile.save(update_fields=["presence", "is_auto_busy", "presence_changed_at", "updated_at"])
    if presence == Presence.OFFLINE:
        release_cases(agent=agent, actor=actor, now=now)
    publish(PresenceChanged(agent_id=agent.pk, presence=presence))
    return profile


def release_cases(
    *, agent: AbstractBaseUser, actor: AbstractBaseUser | None, now: datetime
) -> list[int]:
    """Give every open case the agent owns back to its queue. Runs in the caller's
    transaction (which holds the agent's profile locked)."""
    name = display_name(agent)
    released = []
    owned = (
        Case.objects.select_for_update(of=("self",))
        .filter(owner_id=agent.pk, status__in=OPEN_STATUSES)
        .select_related("queue")
        .order_by("pk")
    )
    for case in owned:
        Offer.objects.filter(case_id=case.pk, status=OfferStatus.OFFERED).update(
            status=OfferStatus.WITHDRAWN, answered_at=now
        )
        case_services.assign_case(case=case, owner=None, actor=None)
        explanation: dict[str, object] = {"reason": "offline", "agent_id": agent.pk, "name": name}
        if actor is not None and actor.pk != agent.pk:
            explanation["set_by"] = display_name(actor)
        RoutingDecision.objects.create(
            case=case,
            kind=DecisionKind.RELEASE,
            queue_id=case.queue_id,
            agent_id=agent.pk,
            summary=(
                _("Back to %(queue)s: %(agent)s went offline")
                % {"queue": case.queue.name, "agent": name}
            )[:300],
            explanation=explanation,
            created_at=now,
        )
        released.append(case.pk)
    return released


def mark_auto_busy(*, profile_id: int, agent_id: int) -> bool:
    """Set an available agent busy because they are full; in the caller's transaction, which
    holds their profile row. Tell whether it changed."""
    changed = AgentProfile.objects.filter(pk=profile_id, presence=Presence.AVAILABLE).update(
        presence=Presence.BUSY,
        is_auto_busy=True,
        presence_changed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if changed:
        publish(PresenceChanged(agent_id=agent_id, presence=Presence.BUSY))
    return bool(changed)


def mark_full_busy(*, agent_ids: list[int], now: datetime) -> None:
    """Set these available agents busy because they are full; in the caller's transaction,
    which holds their profile rows."""
    if not agent_ids:
        return
    changed = list(
        AgentProfile.objects.filter(agent_id__in=agent_ids, presence=Presence.AVAILABLE)
        .order_by("agent_id")
        .values_list("agent_id", flat=True)
    )
    AgentProfile.objects.filter(agent_id__in=changed).update(
        presence=Presence.BUSY, is_auto_busy=True, presence_changed_at=now, updated_at=now
    )
    for agent_id in changed:
        publish(PresenceChanged(agent_id=agent_id, presence=Presence.BUSY))


@transaction.atomic
def restore_auto_busy(*, agent_id: int, now: datetime | None = None) -> bool:
    """Make an agent Caseway set busy available again once they have room in every kind of
    work. Tell whether it did (PresenceChanged follows after commit)."""
    now = now or timezone.now()
    profile = AgentProfile.objects.select_for_update().filter(agent_id=agent_id).first()
    if profile is None or not profile.is_auto_busy or profile.presence != Presence.BUSY:
        return False
    if agents_state([agent_id], now=now)[agent_id].is_full:
        return False
    profile.presence = Presence.AVAILABLE
    profile.is_auto_busy = False
    profile.presence_changed_at = now
    profile.save(update_fields=["presence", "is_auto_busy", "presence_changed_at", "updated_at"])
    publish(PresenceChanged(agent_id=agent_id, presence=Presence.AVAILABLE))
    return True


def restore_all_auto_busy(*, now: datetime | None = None) -> int:
    """Restore every auto-busy agent who has room again (after a day's capacity came back)."""
    now = now or timezone.now()
    agent_ids = list(
        AgentProfile.objects.filter(is_auto_busy=True, presence=Presence.BUSY).values_list(
            "agent_id", flat=True
        )
    )
    states = agents_state(agent_ids, now=now)
    return sum(
        restore_auto_busy(agent_id=agent_id, now=now)
        for agent_id in agent_ids
        if not states[agent_id].is_full
    )
