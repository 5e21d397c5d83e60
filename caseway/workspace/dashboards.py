"""Reads of the workspace's dashboards: the agent's load against their capacity, the queues
the agent sees with their waiting work, and the agents a supervisor looks after.

Each read runs a constant number of queries whatever the number of queues or agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, QuerySet

from caseway.cases.models import OPEN_STATUSES, Case, Queue
from caseway.cases.queries import is_admin, queues_visible_to
from caseway.routing.explain import presence_label
from caseway.routing.models import AgentProfile, AssignmentMethod, Presence, WorkKind
from caseway.routing.queries import LoadState, agents_state, queue_stats


@dataclass(frozen=True)
class LoadMeter:
    """One kind of work of an agent: `used` of `capacity` units, and how full that is."""

    work_kind: str
    label: str
    used: int
    capacity: int

    @property
    def percent(self) -> int:
        if self.capacity <= 0:
            return 100
        return min(100, round(100 * self.used / self.capacity))

    @property
    def level(self) -> str:
        """ "low", "mid", "high" or "full": the colour of the meter."""
        if self.used >= self.capacity:
            return "full"
        if self.percent >= 80:
            return "high"
        if self.percent >= 50:
            return "mid"
        return "low"


def load_meters(loads: tuple[LoadState, ...]) -> list[LoadMeter]:
    """The kinds of work worth showing: cases always; another kind when the agent has a
    capacity profile of it or holds some of it."""
    labels = dict(WorkKind.choices)
    return [
        LoadMeter(
            work_kind=load.work_kind,
            label=str(labels.get(load.work_kind, load.work_kind)),
            used=load.used,
            capacity=load.capacity.max_units,
        )
        for load in loads
        if load.work_kind == WorkKind.CASE or load.capacity.profile or load.active or load.used
    ]


def my_load(agent: AbstractBaseUser) -> list[LoadMeter]:
    """The signed-in agent's load against their capacity, per kind of work (four queries)."""
    return load_meters(agents_state([agent.pk])[agent.pk].loads)


@dataclass(frozen=True)
class QueueRow:
    """A queue on the dashboard."""

    queue: Queue
    open: int
    waiting: int
    waiting_since: datetime | None
    members: int
    available: int
    method: str


def queue_rows(user: AbstractBaseUser) -> list[QueueRow]:
    """The queues `user` sees, with waiting and open cases, the longest wait, agents present
    of members, and how each assigns: four queries."""
    queues = list(queues_visible_to(user).select_related("routing").order_by("name"))
    ids = [queue.pk for queue in queues]
    if not ids:
        return []
    stats = queue_stats(ids)
    through = Queue.members.through
    members = {
        row["queue_id"]: row["n"]
        for row in through.objects.filter(
            queue_id__in=ids, user__is_active=True, user__is_staff=True
        )
        .values("queue_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    methods = dict(AssignmentMethod.choices)
    rows = []
    for queue in queues:
        routing = getattr(queue, "routing", None)
        method = routing.method if routing else AssignmentMethod.HIGHEST_CAPACITY
        stat = stats[queue.pk]
        rows.append(
            QueueRow(
                queue=queue,
                open=cast(Any, queue).open_count,
                waiting=stat.waiting,
                waiting_since=stat.waiting_since,
                members=members.get(queue.pk, 0),
                available=stat.agents_available,
                method=str(methods.get(method, method)),
            )
        )
    return rows


@dataclass(frozen=True)
class TeamRow:
    """An agent on the supervisor's view."""

    agent: AbstractBaseUser
    name: str
    presence: str
    state: str
    label: str
    presence_since: datetime | None
    last_assigned_at: datetime | None
    open_owned: int
    meters: list[LoadMeter]


def supervised_agents(user: AbstractBaseUser) -> QuerySet[Any]:
    """The active agents of the queues `user` supervises (every agent for admins)."""
    agents = get_user_model().objects.filter(is_active=True, is_staff=True)
    if not is_admin(user):
        agents = agents.filter(case_queues__supervisors=user.pk).distinct()
    return agents


def may_supervise(user: AbstractBaseUser, agent_id: int) -> bool:
    """True when `user` may change this agent's presence: an admin, or a supervisor of one
    of the agent's queues."""
    return bool(supervised_agents(user).filter(pk=agent_id).exists())


def team_rows(user: AbstractBaseUser) -> list[TeamRow]:
    """The agents `user` supervises with presence, load, open cases and last assignment:
    six queries."""
    agents = list(
        supervised_agents(user)
        .select_related("routing_profile")
        .order_by("first_name", "last_name", "username")
    )
    ids = [agent.pk for agent in agents]
    if not ids:
        return []
    states = agents_state(ids)
    owned = dict(
        Case.objects.filter(owner_id__in=ids, status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
        .order_by()
    )
    rows = []
    for agent in agents:
        profile: AgentProfile | None = getattr(agent, "routing_profile", None)
        state = states[agent.pk]
        shown = "full" if state.is_auto_busy and state.presence == Presence.BUSY else state.presence
        rows.append(
            TeamRow(
                agent=agent,
                name=agent.get_full_name() or agent.get_username(),
                presence=state.presence,
                state=shown,
                label=presence_label(state.presence),
                presence_since=profile.presence_changed_at if profile else None,
                last_assigned_at=profile.last_assigned_at if profile else None,
                open_owned=owned.get(agent.pk, 0),
                meters=load_meters(state.loads),
            )
        )
    order = {value: index for index, value in enumerate(Presence.values)}
    return sorted(rows, key=lambda row: order.get(row.presence, len(order)))
