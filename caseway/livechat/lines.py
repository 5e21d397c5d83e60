"""Caseway's own lines in a chat (joins, handoffs, ends, screen shares): stored, then cued to
every connection of the session; and the lock every writer of a session's lines takes."""

from __future__ import annotations

from django.db import transaction

from caseway.livechat.models import ChatLine, ChatSession, LineRole
from caseway.livechat.pushes import cue_lines


def lock_lines(session_id: int) -> None:
    """Take the session's row lock before adding a line (PostgreSQL; SQLite writes one at a
    time anyway): a session's line ids then commit in the order they were given, so a
    connection that has line n and is told of the lines after n misses none
    (livechat.batch). Inside the caller's transaction."""
    list(ChatSession.objects.select_for_update().filter(pk=session_id).values_list("pk"))


def add_system_line(*, session: ChatSession, text: str) -> ChatLine:
    with transaction.atomic():
        lock_lines(session.pk)
        line = ChatLine.objects.create(session=session, role=LineRole.SYSTEM, text=text)
    cue_lines(session.group)
    return line
