"""The websockets of live chat: the visitor's widget (/ws/chat/) here, the agent's chat
console (/ws/agent/) in agent_consumer on the same base. JSON both ways; parse, call one
service, answer.

Every connection keeps a cursor per session (the id of the last line it sent) and, on any
cue, sends the lines after it, read from the database under a lock: whatever cues arrive,
twice or not at all until the next one, each line reaches each connection once and in order.
A reconnecting client says where it was (`cursor`) and gets what it missed. A line said
after the handoff goes through the process's line writer (livechat.writer), whose cue
carries the new lines and the id of the line before them: a connection whose cursor is at
or past that id sends them as they come, without reading.

A line goes back to every connection of the session but the one that said it: that one has
its `ack`, which carries the line's id (`own`). Another tab of the same person, or the same
client after it reconnects, gets the line as any other.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext

from caseway.connectors.chat import bind_server_loop, case_group
from caseway.livechat import queries, screenshare, services
from caseway.livechat.batch import LineIn
from caseway.livechat.dbcalls import database_read, database_sync_to_async
from caseway.livechat.exceptions import ChatEnded, ChatError, NotYourChat
from caseway.livechat.models import ChatSession, ChatState, LineRole
from caseway.livechat.writer import line_writer

logger = logging.getLogger(__name__)

# Client ids a connection remembers of its own lines (the oldest are forgotten beyond).
MAX_OWN = 500


def text_of(content: dict[str, Any], key: str) -> str:
    value = content.get(key, "")
    return value if isinstance(value, str) else ""


def int_of(content: dict[str, Any], key: str) -> int:
    value = content.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def error_text(exc: ChatError) -> str:
    if isinstance(exc, ChatEnded):
        return gettext("This chat has ended.")
    if isinstance(exc, NotYourChat):
        return gettext("This chat is not yours any more.")
    return str(exc) or gettext("That did not work.")


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """What both sides share: groups, cursors, sending new lines."""

    role = ""

    async def dispatch(self, message: dict[str, Any]) -> None:
        """channels' dispatch without its close_old_connections() before every message:
        with CONN_MAX_AGE 0 that closed the one database connection all consumers share
        after each websocket frame and cue, so the next call connected again (a fifth of
        that thread's time under load). database_sync_to_async (dbcalls) closes a broken
        connection itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        bind_server_loop(asyncio.get_running_loop())
        self.cursors: dict[int, int] = {}
        self.groups_joined: set[str] = set()
        self.send_lock = asyncio.Lock()
        # The client ids of lines this connection said whose echo is still to come: the
        # echo is not sent (the ack said it all). A few hundred at most.
        self.own: dict[str, None] = {}
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in list(self.groups_joined):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def leave(self, group: str) -> None:
        if group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.discard(group)

    async def watch(self, session: ChatSession, cursor: int) -> None:
        await self.join(session.group)
        if session.case_id is not None:
            await self.join(case_group(session.case.number))  # type: ignore[union-attr]
        self.cursors.setdefault(session.pk, cursor)

    def said(self, client_id: str) -> None:
        """A line with this client id is being said on this connection: its echo is not
        sent back here."""
        if client_id:
            self.own[client_id] = None
            while len(self.own) > MAX_OWN:
                del self.own[next(iter(self.own))]

    def is_own(self, line: dict[str, Any]) -> bool:
        """The echo of a line this connection said (then forgotten: a resent line whose
        first echo went is sent again)."""
        client_id = line.get("client_id") or ""
        if not client_id or line["role"] != self.role:
            return False
        return self.own.pop(client_id, 0) is None

    async def send_lines(self, session_id: int) -> bool:
        """Send the session's new lines; True if one of them was Caseway's (a system line:
        every change of the chat's state comes with one)."""
        async with self.send_lock:
            if session_id not in self.cursors:
                return False
            lines = await database_read(queries.lines_after)(
                session_id, self.cursors[session_id], for_agent=self.role == LineRole.AGENT
            )
            for line in lines:
                if not self.is_own(line):
                    await self.send_json(line)
                self.cursors[session_id] = line["id"]
            return any(line["role"] == LineRole.SYSTEM for line in lines)

    async def chat_lines(self, event: dict[str, Any]) -> None:
        """New lines from the line writer, carried by the cue itself."""
        session_id, lines = event["session"], event["lines"]
        async with self.send_lock:
            cursor = self.cursors.get(session_id)
            if cursor is None or not lines or cursor >= lines[-1]["id"]:
                return
            if event["after"] <= cursor:
                for line in lines:
                    if line["id"] > cursor:
                        if not self.is_own(line):
                            await self.send_json(line)
                        self.cursors[session_id] = line["id"]
                return
        # Lines came between this connection's cursor and these: read them all.
        await self.send_lines(session_id)

    async def error(self, exc: ChatError, client_id: str = "") -> None:
        await self.send_json({"type": "error", "message": error_text(exc), "client_id": client_id})

    # Cues from the channel layer.
    async def push_batch(self, event: dict[str, Any]) -> None:
        """Several cues in one message (connectors.chat.pushes_folded): each to its handler."""
        for inner in event["events"]:
            handler = getattr(self, get_handler_name(inner), None)
            if handler is not None:
                await handler(inner)

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["role"] != self.role:
            await self.send_json(
                {k: v for k, v in event.items() if k != "type"} | {"type": "typing"}
            )

    async def chat_read(self, event: dict[str, Any]) -> None:
        if event["role"] != self.role:
            await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "read"})

    # Screen sharing (services in screenshare.py): state cues and the WebRTC signalling relay.
    def sees_share(self, agent_id: int) -> bool:
        return True

    async def relay_signal(
        self, session: ChatSession, content: dict[str, Any], user_id: int | None = None
    ) -> None:
        data = content.get("data")
        share = await database_sync_to_async(screenshare.check_signal)(
            session=session, share_id=int_of(content, "share"), role=self.role, user_id=user_id,
            data=data,
        )  # fmt: skip
        await self.channel_layer.group_send(
            session.group,
            {"type": "chat.signal", "session": session.pk, "share": share.pk,
             "agent": share.agent_id, "from": self.role, "data": data},
        )  # fmt: skip

    async def chat_signal(self, event: dict[str, Any]) -> None:
        if event["from"] != self.role and self.sees_share(event["agent"]):
            await self.send_json(
                {"type": "share.signal", "session": event["session"], "share": event["share"],
                 "data": event["data"]}
            )  # fmt: skip

    async def chat_share(self, event: dict[str, Any]) -> None:
        share = await database_sync_to_async(screenshare.share_of)(event["session"], event["share"])
        if share is not None and self.sees_share(share.agent_id):
            await self.send_json(screenshare.payload(share))


class VisitorConsumer(ChatConsumer):
    """The widget. Messages in: start, resume, message, person, typing, read, end."""

    role = LineRole.VISITOR

    async def connect(self) -> None:
        self.session: ChatSession | None = None
        await super().connect()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = text_of(content, "type")
        client_id = text_of(content, "client_id")
        try:
            if kind == "start":
                await self.start(content)
            elif kind == "resume":
                await self.resume(content)
            elif self.session is None:
                await self.send_json({"type": "expired"})
            elif kind == "message":
                await self.post_line(text_of(content, "text"), client_id)
            elif kind == "person":
                self.session = await database_sync_to_async(services.request_person)(
                    session=self.session
                )
                await self.refresh_state()
            elif kind == "typing":
                await self.typing(bool(content.get("is_typing")))
            elif kind == "read":
                await self.read(int_of(content, "id"))
            elif kind == "end":
                await database_sync_to_async(services.end_session)(
                    session=self.session, by=gettext("You")
                )
                await self.refresh_state()
            elif kind.startswith("share."):
                await self.share_message(kind, content)
        except ChatError as exc:
            await self.error(exc, client_id)

    async def post_line(self, text: str, client_id: str) -> None:
        """After the handoff through the line writer; with the bot (it answers) or when the
        writer says so, through the single path, and then the state is read again."""
        assert self.session is not None
        stored = None
        self.said(services.clean_client_id(client_id))
        if self.session.state != ChatState.BOT:
            stored = await line_writer().post(
                LineIn(session_id=self.session.pk, role=LineRole.VISITOR,
                       text=services.checked_text(text),
                       client_id=services.clean_client_id(client_id))
            )  # fmt: skip
        if isinstance(stored, ChatError):
            raise stored
        if stored is not None:
            await self.send_json({"type": "ack", "client_id": client_id, "id": stored.line_id})
            return
        line = await database_sync_to_async(services.post_visitor_line)(
            session=self.session, text=text, client_id=client_id
        )
        await self.send_json({"type": "ack", "client_id": client_id, "id": line.pk})
        await self.refresh_state()

    async def share_message(self, kind: str, content: dict[str, Any]) -> None:
        assert self.session is not None
        share_id = int_of(content, "share")
        if kind == "share.answer":
            await database_sync_to_async(screenshare.answer_share)(
                session=self.session, share_id=share_id, accept=content.get("accept") is True
            )
        elif kind == "share.end":
            await database_sync_to_async(screenshare.end_share)(
                session=self.session, share_id=share_id, by=LineRole.VISITOR
            )
        elif kind == "share.signal":
            await self.relay_signal(self.session, content)

    async def start(self, content: dict[str, Any]) -> None:
        origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
        session = await database_sync_to_async(services.start_session)(
            name=text_of(content, "name"),
            email=text_of(content, "email"),
            question=text_of(content, "question"),
            origin=origin,
        )
        await self.attach(session, 0)

    async def resume(self, content: dict[str, Any]) -> None:
        session = await database_sync_to_async(queries.session_by_token)(text_of(content, "token"))
        if session is None:
            await self.send_json({"type": "expired"})
            return
        await self.attach(session, int_of(content, "cursor"))

    async def attach(self, session: ChatSession, cursor: int) -> None:
        self.session = session
        await self.watch(session, cursor)
        await self.send_state()
        await self.send_lines(session.pk)
        if share := await database_sync_to_async(screenshare.open_payload)(session):
            await self.send_json(share)

    async def refresh_state(self) -> None:
        assert self.session is not None
        self.session = await database_read(queries.session_by_token)(self.session.token)
        assert self.session is not None
        await self.watch(self.session, 0)
        await self.send_state()

    async def send_state(self) -> None:
        session = self.session
        assert session is not None
        await self.send_json(
            {
                "type": "state",
                "token": session.token,
                "state": session.state,
                "name": session.name,
                "case": session.case.number if session.case else "",
                "agent_read_id": session.agent_read_id,
            }
        )

    async def typing(self, is_typing: bool) -> None:
        assert self.session is not None
        await self.channel_layer.group_send(
            self.session.group,
            {"type": "chat.typing", "role": self.role, "session": self.session.pk,
             "is_typing": is_typing, "name": self.session.name},
        )  # fmt: skip

    async def read(self, line_id: int) -> None:
        assert self.session is not None
        if line_id <= 0:
            return
        await database_sync_to_async(services.mark_read)(
            session=self.session, role=self.role, line_id=line_id
        )
        await self.channel_layer.group_send(
            self.session.group,
            {"type": "chat.read", "role": self.role, "session": self.session.pk, "id": line_id},
        )

    async def chat_poke(self, event: dict[str, Any]) -> None:
        # The state is read again only when it may have changed: a handoff, an accept, a
        # transfer or the end each add a system line. A plain line of either side does not.
        if self.session is not None and await self.send_lines(self.session.pk):
            await self.refresh_state()

    async def chat_delivered(self, event: dict[str, Any]) -> None:
        await self.chat_poke(event)
