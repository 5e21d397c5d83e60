"""Live cues for the agent workspace over the agent websocket (/ws/agent/).

What changed reaches the agent's page as a cue naming ids only (the case, the activity); the
page asks the usual partials for what to show, so rendering has one code path.

Two ways a cue is made, both delivered by `live_consumer.WorkspaceAgentConsumer`:

* **Pushed**, after commit, by the subscribers below: a new case, a message in or out, an
  assignment, a status change, an SLA warning or breach (the sweep's timeline entry) or a
  change of what the SLA timers depend on (a reply meets the response target). The cue goes
  to the channel-layer groups of the case's queue, of its owner (and previous owner) and of the
  admins; a consumer joins its agent's group and the groups of the queues they work in or
  supervise, so an agent only hears about cases they may see.
* **Checked**, every few seconds, once per process for all its connections (live_check.py):
  the sidebar's numbers, presence, load, newest offer and call, and the newest timeline
  entries. A push made in another process (the worker's SLA sweep, a mail fetched by the
  worker) reaches this one through the Redis channel layer at once; with the in-memory layer
  it cannot, and the check finds it within CASEWAY_LIVE_INTERVAL seconds instead.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

from caseway.cases.events import ActivityAdded, CaseAssigned, CaseOpened, CaseUpdated
from caseway.cases.models import Activity, ActivityKind, Case
from caseway.connectors.chat import push

logger = logging.getLogger(__name__)

# What a cue says changed. Case cues carry `case` (and `activity` for timeline entries).
CASE_CUES = ("case", "message", "assignment", "status", "sla")

MESSAGE_KINDS = frozenset({ActivityKind.MESSAGE_IN, ActivityKind.MESSAGE_OUT})


# Channel-layer groups (names take ASCII letters, digits, '-', '_' and '.').
GROUP_PREFIX = "workspace."


def agent_group(agent_id: int) -> str:
    return f"{GROUP_PREFIX}agent.{agent_id}"


def queue_group(queue_id: int) -> str:
    return f"{GROUP_PREFIX}queue.{queue_id}"


ADMIN_GROUP = f"{GROUP_PREFIX}admins"


# Pushing, after commit.
def _cue(cue: str, case_id: int, **extra: Any) -> dict[str, Any]:
    return {"type": "workspace.cue", "cue": cue, "case": case_id, **extra}


def cue_case(
    cue: str, case_id: int, *, also_agents: tuple[int | None, ...] = (), **extra: Any
) -> None:
    """Send `cue` about a case to whoever may see it: its queue, its owner, the admins (and
    `also_agents`, e.g. the owner a case was taken from). One query; never raises."""
    if not anyone_listening():
        return
    try:
        row = Case.objects.filter(pk=case_id).values_list("queue_id", "owner_id").first()
        if row is None:
            return
        queue_id, owner_id = row
        groups = [ADMIN_GROUP, queue_group(queue_id)]
        for agent_id in {owner_id, *also_agents}:
            if agent_id is not None:
                groups.append(agent_group(agent_id))
        event = _cue(cue, case_id, **extra)
        for group in groups:
            push(group, event, wait=False)
    except Exception:
        # The write committed; pages catch up on their next check.
        logger.exception("workspace cue %s for case %s failed", cue, case_id)


def anyone_listening() -> bool:
    """False when no page can hear a cue sent from here: the in-memory layer (one process)
    with no workspace connection in this process, e.g. the worker of `caseway run`, a
    command, a benchmark. Then the cue costs no query (pages elsewhere find the change with
    their check). With Redis, a listener may be in any process: always True."""
    layer = get_channel_layer()
    if layer is None:
        return False
    if isinstance(layer, InMemoryChannelLayer):
        return any(name.startswith(GROUP_PREFIX) for name in list(layer.groups))
    return True


def on_case_opened(event: CaseOpened) -> None:
    cue_case("case", event.case_id)


def on_activity_added(event: ActivityAdded) -> None:
    if event.kind in MESSAGE_KINDS:
        cue_case("message", event.case_id, activity=event.activity_id)
    elif event.kind == ActivityKind.SLA and anyone_listening():
        moment = (
            Activity.objects.filter(pk=event.activity_id).values_list("data", flat=True).first()
            or {}
        ).get("sla", "")
        cue_case("sla", event.case_id, activity=event.activity_id, moment=moment)


def on_case_assigned(event: CaseAssigned) -> None:
    cue_case("assignment", event.case_id, also_agents=(event.previous_owner_id,))


def on_case_updated(event: CaseUpdated) -> None:
    """One cue per change: every page does the same for each cue about a case. An agent's
    reply (`last_reply_at`, with its first response time) has its `message` cue already,
    from the same commit; a resolution time comes with its status."""
    fields = set(event.fields)
    if "last_reply_at" in fields:
        return
    if "status" in fields:
        cue_case("status", event.case_id)
    elif "queue" in fields:
        cue_case("case", event.case_id)  # now in a queue that may be someone else's


def subscribe_all() -> None:
    from caseway.core.events import subscribe

    subscribe(CaseOpened, on_case_opened)
    subscribe(ActivityAdded, on_activity_added)
    subscribe(CaseAssigned, on_case_assigned)
    subscribe(CaseUpdated, on_case_updated)
