"""Caseway's own lines in a chat (joins, handoffs, ends, screen shares): stored, then cued to
every connection of the session."""

from __future__ import annotations

from caseway.livechat.models import ChatLine, ChatSession, LineRole
from caseway.livechat.pushes import cue_lines


def add_system_line(*, session: ChatSession, text: str) -> ChatLine:
    line = ChatLine.objects.create(session=session, role=LineRole.SYSTEM, text=text)
    cue_lines(session.group)
    return line
