"""Phone calls as routing sees them: which agent a caller's call rings, and the agent who
took it (the case becomes theirs if nobody owned it, and their workspace pops it open).

A call rings the case's owner when they are available (or busy only because Caseway set
them busy at full capacity: the case already counts against it); otherwise the longest idle
available member of the case's queue with room for another case. Agents who already let
this call ring out are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from caseway.cases.exceptions import CaseError
from caseway.cases.models import Case
from caseway.core.events import publish
from caseway.routing.events import CallConnected
from caseway.routing.exceptions import RoutingError
from caseway.routing.models import AgentCall, AgentProfile, Presence, WorkKind
from caseway.routing.offers import pick_case
from caseway.routing.queries import agents_state, work_kind_of_queue

logger = logging.getLogger(__name__)


def agent_for_call(case: Case, *, skip: Iterable[int] = ()) -> int | None:
    """The id of the agent a call about `case` should ring, or None (voicemail)."""
    skipped = set(skip)
    if case.owner_id and case.owner_id not in skipped:
        owner = (
            AgentProfile.objects.filter(agent_id=case.owner_id)
            .values_list("presence", "is_auto_busy")
            .first()
        )
        if owner and (owner[0] == Presence.AVAILABLE or (owner[0] == Presence.BUSY and owner[1])):
            return case.owner_id
    members = list(
        AgentProfile.objects.filter(
            agent__case_queues=case.queue_id,
            agent__is_active=True,
            agent__is_staff=True,
            presence=Presence.AVAILABLE,
        )
        .exclude(agent_id__in=skipped)
        .order_by("last_assigned_at", "agent_id")
        .values_list("agent_id", flat=True)
    )
    if not members:
        return None
    kind = work_kind_of_queue(case.queue_id) or WorkKind.CASE
    states = agents_state(members)
    for agent_id in members:
        load = next((x for x in states[agent_id].loads if x.work_kind == kind), None)
        if load is None or not load.is_full:
            return agent_id
    return None


def connect_call(*, case_id: int, agent_id: int, call_sid: str) -> AgentCall:
    """The agent answered the call: remember it (the workspace pops the case) and give them
    the case when nobody owns it. Idempotent per (call, agent)."""
    agent = get_user_model().objects.get(pk=agent_id)
    case = Case.objects.get(pk=case_id)
    if case.owner_id is None and case.is_open:
        try:
            pick_case(case=case, agent=agent)
        except (RoutingError, CaseError) as exc:
            # Full, or someone was quicker: the agent still talks to the caller.
            logger.info("call %s: case %s stays with its owner: %s", call_sid, case_id, exc)
    try:
        with transaction.atomic():
            call = AgentCall.objects.create(
                agent_id=agent_id, case_id=case_id, call_sid=call_sid, answered_at=timezone.now()
            )
            publish(CallConnected(agent_call_id=call.pk, case_id=case_id, agent_id=agent_id))
    except IntegrityError:
        call = AgentCall.objects.get(agent_id=agent_id, call_sid=call_sid)
    return call


def calls_after(agent_id: int, after_id: int, *, limit: int = 3) -> list[AgentCall]:
    """The calls the agent took after `after_id`, oldest first, with their cases."""
    return list(
        AgentCall.objects.filter(agent_id=agent_id, pk__gt=after_id)
        .select_related("case__contact")
        .order_by("pk")[:limit]
    )
