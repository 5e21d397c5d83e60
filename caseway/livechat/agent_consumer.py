"""The agent's chat console (/ws/agent/): every chat the agent holds on one websocket, each
message naming its `session`. The cursors, cues and echoes are the base's (consumers)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.utils.translation import gettext

from caseway.livechat import agent as agent_services
from caseway.livechat import queries, screenshare, services
from caseway.livechat.batch import LineIn
from caseway.livechat.consumers import ChatConsumer, error_text, int_of, text_of
from caseway.livechat.dbcalls import database_sync_to_async
from caseway.livechat.exceptions import ChatError, NotYourChat
from caseway.livechat.fanout import poked_sessions
from caseway.livechat.models import ChatSession, LineRole
from caseway.livechat.pushes import agent_group
from caseway.livechat.writer import line_writer
from caseway.routing.presence import display_name

logger = logging.getLogger(__name__)


class AgentConsumer(ChatConsumer):
    """The chat console of a signed-in agent. Messages in: accept, decline, message, typing,
    read, transfer, end, each naming its `session`."""

    role = LineRole.AGENT

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(_is_agent)(user):
            await self.close(code=4403)
            return
        self.user = user
        self.case_of: dict[int, str] = {}
        self.posting: set[asyncio.Task[None]] = set()
        await super().connect()
        await self.join(agent_group(user.pk))
        await self.show_chats()

    async def show_chats(self) -> None:
        for session in await database_sync_to_async(queries.chats_of)(self.user):
            await self.show(session.pk)

    async def show(self, session_id: int) -> None:
        session = await database_sync_to_async(queries.held_session)(session_id, self.user)
        if session is None:
            await self.forget(session_id)
            return
        await self.watch(session, 0)
        self.case_of[session.pk] = session.case.number if session.case else ""
        summary = await database_sync_to_async(queries.session_summary)(session, self.user)
        await self.send_json(summary)
        await self.send_lines(session.pk)
        if share := await database_sync_to_async(screenshare.open_payload)(session, self.user.pk):
            await self.send_json(share)

    def sees_share(self, agent_id: int) -> bool:
        return bool(agent_id == self.user.pk)

    async def forget(self, session_id: int) -> None:
        await self.leave(f"chat.session.{session_id}")
        self.cursors.pop(session_id, None)
        await self.send_json({"type": "removed", "session": session_id})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = text_of(content, "type")
        client_id = text_of(content, "client_id")
        session_id = int_of(content, "session")
        if kind == "message":
            self.post_in_background(session_id, text_of(content, "text"), client_id)
            return
        session = await database_sync_to_async(queries.held_session)(session_id, self.user)
        if session is None:
            await self.not_yours(session_id, client_id)
            return
        call = database_sync_to_async
        try:
            if kind == "accept":
                await call(agent_services.accept_chat)(session=session, agent=self.user)
                await self.show(session_id)
            elif kind == "decline":
                await call(agent_services.decline_chat)(session=session, agent=self.user)
                await self.forget(session_id)
            elif kind == "typing":
                await self.channel_layer.group_send(
                    session.group,
                    {"type": "chat.typing", "role": self.role, "session": session_id,
                     "is_typing": bool(content.get("is_typing")), "name": ""},
                )  # fmt: skip
            elif kind == "read":
                line_id = int_of(content, "id")
                await call(services.mark_read)(session=session, role=self.role, line_id=line_id)
                await self.channel_layer.group_send(
                    session.group,
                    {"type": "chat.read", "role": self.role, "session": session_id, "id": line_id},
                )
            elif kind == "transfer":
                await self.transfer(session, content)
            elif kind == "end":
                await call(agent_services.end_chat)(session=session, agent=self.user)
                await self.send_lines(session_id)
                await self.send_json({"type": "ended", "session": session_id})
            elif kind == "share.request":
                await call(screenshare.request_share)(session=session, agent=self.user)
            elif kind == "share.end":
                await call(screenshare.end_share)(
                    session=session, share_id=int_of(content, "share"), by=LineRole.AGENT
                )
            elif kind == "share.signal":
                await self.relay_signal(session, content, self.user.pk)
        except ChatError as exc:
            await self.send_json(
                {"type": "error", "session": session_id, "client_id": client_id,
                 "message": error_text(exc)}
            )  # fmt: skip

    async def not_yours(self, session_id: int, client_id: str) -> None:
        await self.send_json(
            {"type": "error", "session": session_id, "client_id": client_id,
             "message": gettext("This chat is not yours any more.")}
        )  # fmt: skip
        await self.forget(session_id)

    def post_in_background(self, session_id: int, text: str, client_id: str) -> None:
        """post_line, not awaited: a console takes the frames and cues of all its chats one
        at a time, and an agent who answers many chats would otherwise hold every visitor's
        next line behind the commit of their own last one (at 20 answers a second that wait
        filled the console's whole second). The tasks start in the order the lines came, and
        each hands its line to the writer first thing, so the lines are stored and acked in
        that order."""
        task = asyncio.create_task(self.post_line(session_id, text, client_id))
        self.posting.add(task)
        task.add_done_callback(self.posted)

    def posted(self, task: asyncio.Task[None]) -> None:
        self.posting.discard(task)
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if isinstance(exc, OSError):
            return  # the console went away before its ack: it sends the line again
        # As an exception in a handler would: close, so the console connects again and
        # sends the lines it has no ack for.
        logger.error("an agent's chat line failed", exc_info=exc)
        self.posting.add(closing := asyncio.create_task(self.close(code=1011)))
        closing.add_done_callback(self.posting.discard)

    async def post_line(self, session_id: int, text: str, client_id: str) -> None:
        """Through the line writer, which checks the agent holds the chat; the single path
        when the writer says so."""
        self.said(services.clean_client_id(client_id))
        try:
            stored = await line_writer().post(
                LineIn(session_id=session_id, role=LineRole.AGENT,
                       text=services.checked_text(text),
                       client_id=services.clean_client_id(client_id),
                       author_id=self.user.pk, author_name=display_name(self.user))
            )  # fmt: skip
            if isinstance(stored, ChatError):
                raise stored
            if stored is None:
                session = await database_sync_to_async(queries.held_session)(session_id, self.user)
                if session is None:
                    raise NotYourChat(session_id)
                line = await database_sync_to_async(agent_services.post_agent_line)(
                    session=session, agent=self.user, text=text, client_id=client_id
                )
                line_id = line.pk
            else:
                line_id = stored.line_id
        except NotYourChat:
            await self.not_yours(session_id, client_id)
            return
        except ChatError as exc:
            await self.send_json(
                {"type": "error", "session": session_id, "client_id": client_id,
                 "message": error_text(exc)}
            )  # fmt: skip
            return
        await self.send_json(
            {"type": "ack", "session": session_id, "client_id": client_id, "id": line_id}
        )
        if stored is None:
            await self.send_lines(session_id)

    async def transfer(self, session: ChatSession, content: dict[str, Any]) -> None:
        queue, to_agent = await database_sync_to_async(_transfer_target)(
            text_of(content, "target"), self.user
        )
        if queue is None and to_agent is None:
            await self.send_json(
                {"type": "error", "session": session.pk,
                 "message": gettext("Choose a queue or an agent.")}
            )  # fmt: skip
            return
        await database_sync_to_async(agent_services.transfer_chat)(
            session=session, agent=self.user, queue=queue, to_agent=to_agent
        )

    # Cues from the channel layer.
    async def chat_offered(self, event: dict[str, Any]) -> None:
        await self.show(event["session"])

    async def chat_removed(self, event: dict[str, Any]) -> None:
        session = await database_sync_to_async(queries.held_session)(event["session"], self.user)
        if session is None:
            await self.forget(event["session"])

    async def chat_poke_session(self, event: dict[str, Any]) -> None:
        await self.send_lines(event["session"])

    async def chat_poke(self, event: dict[str, Any]) -> None:
        for session_id in poked_sessions(event, self.cursors, self.case_of):
            await self.send_lines(session_id)

    async def chat_delivered(self, event: dict[str, Any]) -> None:
        await self.chat_poke(event)


def _is_agent(user: Any) -> bool:
    from caseway.cases.queries import is_agent

    return bool(is_agent(user))


def _transfer_target(target: str, actor: Any) -> tuple[Any, Any]:
    """`queue:<id>` or `agent:<id>` -> (queue, None) or (None, agent)."""
    from django.contrib.auth import get_user_model

    from caseway.cases.models import Queue
    from caseway.cases.queries import is_agent

    kind, _sep, raw = target.partition(":")
    if not raw.isdigit():
        return None, None
    if kind == "queue":
        return Queue.objects.filter(pk=int(raw)).first(), None
    if kind == "agent":
        user = get_user_model().objects.filter(pk=int(raw), is_active=True).first()
        if user is not None and is_agent(user) and user.pk != actor.pk:
            return None, user
    return None, None
