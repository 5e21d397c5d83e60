"""The workspace's fallback check (live.py has the pushes): what a page shows that may have
changed without a push reaching this process.

ONE check per server process and interval, for every workspace connection it serves: the
sidebar's numbers, presence, load, the newest offer and call, and the newest timeline
entries, read for all their agents at once in a fixed handful of queries (`read_states`,
`activity_rows`), however many pages are open. Each connection then compares what it was
last told with its own part (`WorkspaceAgentConsumer.checked`). One query per page every
two seconds was a quarter of the server's time with 50 consoles (docs/benchmarks.md).

A push made in another process (the worker's SLA sweep, a mail fetched by the worker) reaches
this one through the Redis channel layer at once; with the in-memory layer it cannot, and
the check finds it within CASEWAY_LIVE_INTERVAL seconds instead.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Max, Q

from caseway.cases.models import OPEN_STATUSES, Activity, ActivityKind, Case, Queue
from caseway.cases.queries import is_admin
from caseway.livechat.dbcalls import database_read
from caseway.routing.explain import OFFLINE_BAR, agent_bars
from caseway.routing.models import AgentLoad

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

# Seconds between the checks.
INTERVAL = 2.0
# At most this many new timeline entries are looked at per check.
MAX_NEW_ACTIVITIES = 200

STATE_CUES = ("offer", "call", "counts", "presence", "load")
MESSAGE_KINDS = frozenset({ActivityKind.MESSAGE_IN, ActivityKind.MESSAGE_OUT})

# An activity row: pk, case id, kind, data, the case's queue and owner.
ActivityRow = tuple[int, int, str, dict[str, Any] | None, int, int | None]


def interval() -> float:
    return float(getattr(settings, "CASEWAY_LIVE_INTERVAL", INTERVAL))


# Reading, in the read pool's thread.
def read_state(agent: AbstractBaseUser) -> dict[str, Any]:
    """What one agent's page shows that may change (a connection's state when it opens)."""
    return read_states({agent.pk: is_admin(agent)})[agent.pk]


def read_states(agents: dict[int, bool]) -> dict[int, dict[str, Any]]:
    """The state of each agent's pages, for agents given as {id: is admin}, in six queries:
    presence and offers, load, queue memberships, the open cases per queue, each agent's own
    open cases, the newest timeline entry.

    `counts` changes whenever a number of the agent's sidebar does (listing.nav_badges):
    their own open cases (how many, the newest change) and the open and unassigned cases of
    each queue they see."""
    ids = list(agents)
    bars = agent_bars(ids)
    loads: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for agent_id, *load in AgentLoad.objects.filter(agent_id__in=ids).values_list(
        "agent_id", "work_kind", "active", "assigned_today", "day"
    ):
        loads[agent_id].append(tuple(load))
    queues = queues_of_agents(ids)
    per_queue: dict[int, tuple[int, ...]] = {
        row["queue_id"]: (row["queue_id"], row["n_open"], row["n_unassigned"])
        for row in Case.objects.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("queue_id")
        .annotate(n_open=Count("pk"), n_unassigned=Count("pk", filter=Q(owner__isnull=True)))
    }
    mine: dict[int, tuple[int, datetime | None]] = {
        row["owner_id"]: (row["n"], row["changed"])
        for row in Case.objects.filter(status__in=OPEN_STATUSES, owner_id__in=ids)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"), changed=Max("updated_at"))
    }
    newest = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    states = {}
    for agent_id, admin in agents.items():
        bar = bars.get(agent_id, OFFLINE_BAR)
        seen = per_queue if admin else {pk: per_queue.get(pk, ()) for pk in queues[agent_id]}
        states[agent_id] = {
            "offer": bar.newest_offer_id,
            "call": bar.newest_call_id,
            "presence": bar.state,
            "counts": (mine.get(agent_id, (0, None)), tuple(sorted(seen.items()))),
            "load": tuple(sorted(loads[agent_id])),
            "queues": queues[agent_id],
            "admin": admin,
            "activity": newest,
        }
    return states


def queues_of_agents(agent_ids: list[int]) -> dict[int, frozenset[int]]:
    """cases.queries.queue_ids_of for several agents: the queues each works in or
    supervises, in one query."""
    members = Queue.members.through.objects.filter(user_id__in=agent_ids).values_list(
        "user_id", "queue_id"
    )
    supervisors = Queue.supervisors.through.objects.filter(user_id__in=agent_ids).values_list(
        "user_id", "queue_id"
    )
    found: dict[int, set[int]] = defaultdict(set)
    for agent_id, queue_id in members.union(supervisors):
        found[agent_id].add(queue_id)
    return {agent_id: frozenset(found[agent_id]) for agent_id in agent_ids}


def activity_rows(*, after: int, upto: int) -> list[ActivityRow]:
    """The timeline entries (after, upto] that a page may be cued about (messages and SLA
    moments), oldest first, at most MAX_NEW_ACTIVITIES. One query for every page."""
    return list(
        Activity.objects.filter(pk__gt=after, pk__lte=upto)
        .filter(kind__in=[*MESSAGE_KINDS, ActivityKind.SLA])
        .order_by("pk")
        .values_list("pk", "case_id", "kind", "data", "case__queue_id", "case__owner_id")[
            :MAX_NEW_ACTIVITIES
        ]
    )


# Deciding, per connection (no queries).
def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The state cues to send for a change of state, in a stable order."""
    names = [name for name in STATE_CUES if before[name] != after[name]]
    if "presence" in names and "load" not in names:
        names.append("load")  # the meter sits next to the switcher and shares its refresh
    return names


def activity_cues(
    rows: Iterable[ActivityRow], *, after: int, state: dict[str, Any], agent_id: int
) -> list[dict[str, Any]]:
    """Cues for the rows after `after` on cases the agent sees (`state`: theirs, from
    read_states): what a push from another process would have said."""
    queues, admin = state["queues"], state["admin"]
    cues = []
    for pk, case_id, kind, data, queue_id, owner_id in rows:
        if pk <= after or not (admin or queue_id in queues or owner_id == agent_id):
            continue
        cue: dict[str, Any] = {"type": "workspace.cue", "case": case_id, "activity": pk}
        if kind == ActivityKind.SLA:
            cue |= {"cue": "sla", "moment": (data or {}).get("sla", "")}
        else:
            cue["cue"] = "message"
        cues.append(cue)
    return cues


# Running, in the event loop.
class Checked(Protocol):
    """A connection the check serves (live_consumer.WorkspaceAgentConsumer)."""

    user: Any
    live_state: dict[str, Any]

    async def checked(self, current: dict[str, Any], rows: list[ActivityRow]) -> None: ...


class Checker:
    """The check of one process (one per event loop): every interval, read the state of
    every connection's agent at once and hand each connection its part."""

    def __init__(self) -> None:
        self.connections: set[Checked] = set()
        self.task: asyncio.Task[None] | None = None

    def add(self, connection: Checked) -> None:
        self.connections.add(connection)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run())

    def discard(self, connection: Checked) -> None:
        self.connections.discard(connection)

    async def run(self) -> None:
        while self.connections:
            await asyncio.sleep(interval())
            try:
                await self.check_once()
            except Exception:
                logger.exception("workspace check failed")

    async def check_once(self) -> None:
        connections = list(self.connections)
        if not connections:
            return
        agents = {c.user.pk: is_admin(c.user) for c in connections}
        states = await database_read(read_states)(agents)
        newest = max(state["activity"] for state in states.values())
        after = min(c.live_state["activity"] for c in connections)
        rows = (
            await database_read(activity_rows)(after=after, upto=newest) if newest > after else []
        )
        # Each connection sends its own cues; a slow client holds up only itself.
        await asyncio.gather(
            *(c.checked(states[c.user.pk], rows) for c in connections if c in self.connections)
        )


_checkers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Checker] = (
    weakref.WeakKeyDictionary()
)


def checker() -> Checker:
    """This event loop's check (a server process runs one loop; each test its own)."""
    loop = asyncio.get_running_loop()
    found = _checkers.get(loop)
    if found is None:
        found = _checkers[loop] = Checker()
    return found
