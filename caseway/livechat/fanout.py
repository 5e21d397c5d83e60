"""Which of an agent console's chats a cue is about, so a console holding a hundred chats
reads one chat's new lines per line said, not a hundred."""

from __future__ import annotations

from typing import Any


def poked_sessions(event: dict[str, Any], cursors: dict[int, int], case_of: dict[int, str]
                   ) -> list[int]:  # fmt: skip
    """The sessions to read after `event`: the one it names (chat.poke from cue_lines), the
    ones on the case it names (chat.delivered from the chat adapter), else every one."""
    session = event.get("session")
    if isinstance(session, int):
        return [session] if session in cursors else []
    reference = event.get("reference")
    if isinstance(reference, str) and reference:
        return [sid for sid in cursors if case_of.get(sid) == reference]
    return list(cursors)
