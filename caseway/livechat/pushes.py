"""Cues on the channel layer after commit: which group hears what.

These cues carry ids only; every consumer reads what to show from the database (lines after
its cursor), so a cue lost or heard twice changes nothing the user sees. The line writer's
cue (livechat.writer) carries its lines, with the id of the line before them, and a consumer
uses them only when they follow what it has.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from caseway.connectors.chat import push

logger = logging.getLogger(__name__)


def agent_group(agent_id: int) -> str:
    return f"chat.agent.{agent_id}"


def _push_quietly(group: str, event: dict[str, Any]) -> None:
    try:
        push(group, event, wait=False)
    except Exception:
        # The write committed; consumers catch up on their next cue or reconnect.
        logger.exception("chat cue to %s failed", group)


def cue_after_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _push_quietly(group, event))


def cue_lines(session_group: str) -> None:
    """New lines in a session: every connection of it reads them (an agent's console, which
    holds many sessions, only this one's)."""
    session_id = session_group.rsplit(".", 1)[-1]
    event: dict[str, Any] = {"type": "chat.poke"}
    if session_id.isdigit():
        event["session"] = int(session_id)
    cue_after_commit(session_group, event)


def cue_agent(agent_id: int, kind: str, session_id: int) -> None:
    """`kind`: chat.offered (show this chat), chat.removed (it is no longer yours)."""
    cue_after_commit(agent_group(agent_id), {"type": kind, "session": session_id})
