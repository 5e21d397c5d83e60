"""Reactions of the routing app, after commit: a routed case goes to an agent at once; an
agent who becomes available gets waiting work; loads follow every change of owner or status.

Each handler is quick, idempotent and never raises (it logs): the write it reacts to has
committed, and the periodic sweep (assign_waiting_cases) catches up with anything missed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from caseway.cases.events import CaseAssigned, CaseUpdated
from caseway.cases.models import Case, Queue
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.events import CaseRouted, PresenceChanged
from caseway.routing.models import AgentProfile, Offer, OfferStatus, Presence, WorkKind
from caseway.routing.presence import recount_load, restore_auto_busy
from caseway.routing.queries import work_kind_of_case
from caseway.routing.waiting import assign_waiting_cases

logger = logging.getLogger(__name__)

# How many waiting cases one agent's change (available again, capacity freed) looks at; the
# sweep takes care of the rest.
FOLLOW_UP_LIMIT = 50

E = TypeVar("E")


def _quiet(handler: Callable[[E], None]) -> Callable[[E], None]:
    @functools.wraps(handler)
    def run(event: E) -> None:
        try:
            handler(event)
        except Exception:
            logger.exception("routing handler %s failed for %r", handler.__name__, event)

    return run


def _queues_of(agent_id: int) -> list[int]:
    return list(Queue.objects.filter(members=agent_id).values_list("pk", flat=True))


def _follow_up(agent_id: int) -> None:
    """The agent has room again: out of auto-busy (PresenceChanged follows), or, if they are
    available, give them waiting work."""
    if restore_auto_busy(agent_id=agent_id):
        return
    presence = (
        AgentProfile.objects.filter(agent_id=agent_id).values_list("presence", flat=True).first()
    )
    if presence == Presence.AVAILABLE:
        assign_waiting_cases(queue_ids=_queues_of(agent_id), limit=FOLLOW_UP_LIMIT)


def _recount(agent_ids: set[int], work_kinds: list[str]) -> None:
    now = timezone.now()
    freed = set()
    for agent_id in sorted(agent_ids):
        for kind in work_kinds:
            if recount_load(agent_id=agent_id, work_kind=kind, now=now).freed:
                freed.add(agent_id)
    for agent_id in sorted(freed):
        _follow_up(agent_id)


@_quiet
def on_case_routed(event: CaseRouted) -> None:
    """A new case waits in its queue: give it to an agent now."""
    assign_waiting_case(case_id=event.case_id)


@_quiet
def on_presence_changed(event: PresenceChanged) -> None:
    """An agent became available: give waiting cases of their queues out."""
    if event.presence == Presence.AVAILABLE:
        assign_waiting_cases(queue_ids=_queues_of(event.agent_id), limit=FOLLOW_UP_LIMIT)


def _withdraw_stale_offers(case_id: int, owner_id: int | None) -> None:
    """Close open offers to anyone but the case's owner (someone reassigned it by hand)."""
    stale = Offer.objects.filter(case_id=case_id, status=OfferStatus.OFFERED)
    if owner_id is not None:
        stale = stale.exclude(agent_id=owner_id)
    if not stale.exists():
        return
    with transaction.atomic():
        owner = Case.objects.select_for_update().filter(pk=case_id).values_list("owner_id").first()
        if owner is None:
            return
        stale = Offer.objects.filter(case_id=case_id, status=OfferStatus.OFFERED)
        if owner[0] is not None:
            stale = stale.exclude(agent_id=owner[0])
        stale.update(status=OfferStatus.WITHDRAWN, answered_at=timezone.now())


@_quiet
def on_case_assigned(event: CaseAssigned) -> None:
    """Recount the loads of the new and the previous owner; a case back in its queue goes to
    the next agent. Routing's own assignments (load counted, nobody before) need neither the
    recount nor the withdrawal of stale offers: the batch did both in its transaction."""
    if event.load_counted and event.previous_owner_id is None:
        return
    _withdraw_stale_offers(event.case_id, event.owner_id)
    agents = {a for a in (event.owner_id, event.previous_owner_id) if a is not None}
    if agents:
        _recount(agents, [work_kind_of_case(event.case_id)])
    if event.owner_id is None:
        assign_waiting_case(case_id=event.case_id)


@_quiet
def on_case_updated(event: CaseUpdated) -> None:
    """A status or queue change: recount the owner's load (closing frees capacity); an
    unowned open case (reopened, moved) is offered again."""
    if "status" not in event.fields and "queue" not in event.fields:
        return
    row = Case.objects.filter(pk=event.case_id).values_list("owner_id").first()
    if row is None:
        return
    owner_id: int | None = row[0]
    if owner_id is None:
        assign_waiting_case(case_id=event.case_id)
        return
    kinds = WorkKind.values if "queue" in event.fields else [work_kind_of_case(event.case_id)]
    _recount({owner_id}, list(kinds))
