"""Reactions of live chat, after commit: a chat's case given to an agent (routing's offer,
a transfer) shows in their console; taken from them, it leaves it."""

from __future__ import annotations

import logging

from caseway.cases.events import CaseAssigned
from caseway.connectors.chat import push
from caseway.livechat.models import ChatSession, ChatState
from caseway.livechat.pushes import agent_group

logger = logging.getLogger(__name__)


def on_case_assigned(event: CaseAssigned) -> None:
    session_id = (
        ChatSession.objects.filter(case_id=event.case_id)
        .exclude(state=ChatState.ENDED)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if session_id is None:
        return
    if event.owner_id is None:
        ChatSession.objects.filter(pk=session_id, state=ChatState.ACTIVE).update(
            state=ChatState.WAITING, agent=None
        )
    else:
        # A visitor who left a message and is still there can be taken live.
        ChatSession.objects.filter(pk=session_id, state=ChatState.MESSAGE).update(
            state=ChatState.WAITING
        )
    try:
        if event.previous_owner_id is not None:
            push(
                agent_group(event.previous_owner_id),
                {"type": "chat.removed", "session": session_id},
                wait=False,
            )
        if event.owner_id is not None:
            offered = {"type": "chat.offered", "session": session_id}
            push(agent_group(event.owner_id), offered, wait=False)
    except Exception:
        logger.exception("chat cue for case %s failed", event.case_id)
