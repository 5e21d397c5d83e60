"""Lines said after the handoff, many connections' at once: stored in one transaction.

`store_lines` takes what the writer (livechat.writer) gathered while the previous batch was
being written, and in ONE transaction: locks the batch's sessions (every writer of a
session's lines takes that lock, so a session's line ids commit in the order they were
given), checks each line against its session (not ended; an agent's line only while the
agent holds the chat), keeps a line sent again once (per session and client id), inserts the
new lines with one INSERT and queues one task that puts them all on their cases' timelines
(livechat.tasks.record_lines_on_case). It answers, per line, the stored line or why not,
and per session the cue that carries the new lines themselves together with the id of the
line before them, so a connection that has exactly that line shows them without reading
(pushes.cue_new_lines).

Lines that need more than a row (the bot's answer, a file) go the single path
(services.post_visitor_line, services.send_file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from caseway.livechat.exceptions import ChatEnded, ChatError, NotYourChat
from caseway.livechat.models import ChatLine, ChatSession, ChatState, LineRole
from caseway.livechat.queries import line_payload

MAX_BATCH = 200


@dataclass(frozen=True)
class LineIn:
    """One line to store. `text` and `client_id` are already checked and cleaned
    (services.clean_line, services.clean_client_id)."""

    session_id: int
    role: str  # LineRole.VISITOR or LineRole.AGENT
    text: str
    client_id: str
    author_id: int | None = None  # the agent, for an agent's line
    author_name: str = ""


@dataclass(frozen=True)
class Stored:
    """The line's id, and whether this call stored it (False: it was there already)."""

    line_id: int
    new: bool


@dataclass(frozen=True)
class Batch:
    """Per line given: Stored, a ChatError, or None: store that line through the single
    path instead (the chat is still with the bot, or a concurrent duplicate from another
    process broke the INSERT). Per session with new lines: the cue to send after commit."""

    results: list[Stored | ChatError | None]
    cues: list[tuple[str, dict[str, Any]]]


def _refusal(line: LineIn, session: Mapping[str, Any] | None) -> ChatError | None:
    if session is None and line.role == LineRole.AGENT:
        return NotYourChat(line.session_id)
    if session is None or session["state"] == ChatState.ENDED:
        return ChatEnded()
    if line.role == LineRole.AGENT and (
        session["agent_id"] != line.author_id or session["case__owner_id"] != line.author_id
    ):
        return NotYourChat(line.session_id)
    return None


def _with_bot(session: Mapping[str, Any] | None) -> bool:
    return session is not None and session["state"] == ChatState.BOT


def store_lines(lines: list[LineIn]) -> Batch:
    try:
        return _store(lines)
    except IntegrityError:
        # Another process stored one of these client ids between our check and our INSERT.
        return Batch(results=[None] * len(lines), cues=[])


def _store(lines: list[LineIn]) -> Batch:
    from caseway.livechat.tasks import record_lines_on_case

    session_ids = sorted({line.session_id for line in lines})
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update(of=("self",)).filter(pk__in=session_ids)
        sessions = {
            row["pk"]: row
            for row in locked.order_by("pk").values("pk", "state", "agent_id", "case__owner_id")
        }
        last = dict(
            ChatLine.objects.filter(session_id__in=session_ids)
            .values("session_id")
            .annotate(last=Max("pk"))
            .values_list("session_id", "last")
        )
        client_ids = {line.client_id for line in lines if line.client_id}
        known: dict[tuple[int, str], int] = {}
        if client_ids:
            known = {
                (session_id, client_id): pk
                for session_id, client_id, pk in ChatLine.objects.filter(
                    session_id__in=session_ids, client_id__in=client_ids
                ).values_list("session_id", "client_id", "pk")
            }
        results: list[Stored | ChatError | None] = []
        new: list[tuple[int, ChatLine, LineIn]] = []
        repeats: list[tuple[int, tuple[int, str]]] = []  # the same client id twice in a batch
        batch_keys: set[tuple[int, str]] = set()
        for index, line in enumerate(lines):
            session = sessions.get(line.session_id)
            key = (line.session_id, line.client_id)
            results.append(None)
            if line.client_id and key in known:
                results[index] = Stored(known[key], new=False)
            elif line.client_id and key in batch_keys:
                repeats.append((index, key))
            elif line.role == LineRole.VISITOR and _with_bot(session):
                pass  # the bot answers it: the single path
            elif (refusal := _refusal(line, session)) is not None:
                results[index] = refusal
            else:
                row = ChatLine(
                    session_id=line.session_id,
                    role=line.role,
                    author_id=line.author_id,
                    text=line.text,
                    client_id=line.client_id,
                )
                if line.client_id:
                    batch_keys.add(key)
                new.append((index, row, line))
        if not new:
            return Batch(results=results, cues=[])
        ChatLine.objects.bulk_create([row for _index, row, _line in new])
        cues: dict[int, dict[str, Any]] = {}
        for index, row, line in new:
            results[index] = Stored(row.pk, new=True)
            known[(line.session_id, line.client_id)] = row.pk
            cue = cues.setdefault(
                line.session_id,
                {"type": "chat.lines", "session": line.session_id,
                 "after": last.get(line.session_id) or 0, "lines": []},
            )  # fmt: skip
            cue["lines"].append(line_payload(row, author=line.author_name))
        for index, key in repeats:
            results[index] = Stored(known[key], new=False)
        # With the lines, or not at all: one task puts them all on their cases.
        record_lines_on_case.enqueue([row.pk for _index, row, _line in new])
    return Batch(
        results=results,
        cues=[(f"chat.session.{session_id}", cue) for session_id, cue in cues.items()],
    )
