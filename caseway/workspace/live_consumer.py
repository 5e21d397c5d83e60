"""The agent websocket (/ws/agent/) with the workspace's live cues (see live.py).

One consumer serves both uses of the route: the chat console (the default, live chat's
protocol unchanged) and every other workspace page, which connects with `?chat=0` and then
hears no chat lines, only cues. Both get the cues, as messages of type `workspace`:

    {"type": "workspace", "cue": "ready"}                      connected: catch up once
    {"type": "workspace", "cue": "offer" | "call" | "counts" | "presence" | "load"}
    {"type": "workspace", "cue": "case" | "message" | "assignment" | "status" | "sla",
     "case": 42, "activity": 314, "moment": "warning"}        (activity, moment: when known)
    {"type": "workspace", "cue": "cases", "cases": [42, 43]}  the case cues that came within
                                                              FOLD_S of the last frame sent:
                                                              a page does for each case what
                                                              one cue asks

The agent-only check is live chat's (AgentConsumer.connect closes with 4403); the Origin
check sits in front of every websocket route (livechat.routing.OriginCheck).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qs

from caseway.livechat.agent_consumer import AgentConsumer
from caseway.livechat.dbcalls import database_read
from caseway.workspace import live, live_check

logger = logging.getLogger(__name__)

# After a case cue, the seconds the next ones wait, to go together as one frame.
FOLD_S = 0.25


class WorkspaceAgentConsumer(AgentConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.chat = query.get("chat", ["1"])[0] != "0"
        self.live_groups: set[str] = set()
        self.pushed: set[int] = set()  # activity ids already cued by a push
        self.fold_task: asyncio.Task[None] | None = None
        self.held: list[dict[str, Any]] = []  # case cues waiting for the fold's window
        await super().connect()
        if not hasattr(self, "user"):
            return  # refused: not an agent
        self.live_state = await database_read(live_check.read_state)(self.user)
        await self.join_live(self.live_state)
        await self.send_json({"type": "workspace", "cue": "ready"})
        live_check.checker().add(self)

    async def disconnect(self, code: int) -> None:
        live_check.checker().discard(self)
        if self.fold_task is not None:
            self.fold_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.fold_task
        await super().disconnect(code)

    async def join_live(self, state: dict[str, Any]) -> None:
        """Be in the groups of what the agent sees now: theirs, their queues', the admins'."""
        wanted = {live.agent_group(self.user.pk)}
        wanted.update(live.queue_group(pk) for pk in state["queues"])
        if state["admin"]:
            wanted.add(live.ADMIN_GROUP)
        for group in wanted - self.live_groups:
            await self.join(group)
        for group in self.live_groups - wanted:
            await self.leave(group)
        self.live_groups = wanted

    async def checked(self, current: dict[str, Any], rows: list[live_check.ActivityRow]) -> None:
        """The fallback, from the process's check (live_check.Checker): what changed since the
        last check that no push said (a push from another process with the in-memory layer,
        a change that publishes no event). `rows`: the newest timeline entries."""
        try:
            await self.join_live(current)
            for name in live_check.changes(self.live_state, current):
                await self.send_json({"type": "workspace", "cue": name})
            cues = live_check.activity_cues(
                rows, after=self.live_state["activity"], state=current, agent_id=self.user.pk
            )
            for cue in cues:
                if cue["activity"] not in self.pushed:
                    await self.case_cue(cue)
            self.pushed = {pk for pk in self.pushed if pk > current["activity"]}
            self.live_state = current
        except OSError:
            # The client has gone (the server says so as an OSError, uvicorn's
            # ClientDisconnected); disconnect() follows. Nothing more to check.
            live_check.checker().discard(self)
        except Exception:
            logger.exception("workspace check for agent %s failed", self.user.pk)

    async def send_cue(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {k: v for k, v in event.items() if k != "type"} | {"type": "workspace"}
        )

    # Cues from the channel layer.
    async def workspace_cue(self, event: dict[str, Any]) -> None:
        if isinstance(event.get("activity"), int):
            self.pushed.add(event["activity"])
        await self.case_cue(event)

    async def case_cue(self, event: dict[str, Any]) -> None:
        """A cue about a case goes at once, unless one went less than FOLD_S ago: then it
        waits for the end of that window, with every other that comes meanwhile, and they
        go as ONE frame. Hundreds of timeline entries a second in an agent's queues (a busy
        live chat) are then a few frames a second per page, not hundreds, and the console's
        chat lines do not queue behind them; the page waits as long before it asks anyway."""
        if self.fold_task is None:
            self.fold_task = asyncio.create_task(self.fold_window())
            await self.send_cue(event)
        else:
            self.held.append(event)

    async def fold_window(self) -> None:
        try:
            while True:
                await asyncio.sleep(FOLD_S)
                held, self.held = self.held, []
                if not held:
                    return
                if len(held) == 1:
                    await self.send_cue(held[0])
                else:
                    cases = list(dict.fromkeys(e["case"] for e in held if "case" in e))
                    await self.send_json({"type": "workspace", "cue": "cases", "cases": cases})
        except OSError:
            return  # the client has gone; disconnect() follows
        finally:
            self.fold_task = None

    # A page that is not the chat console hears no chat traffic, only that an offer came.
    async def show_chats(self) -> None:
        if self.chat:
            await super().show_chats()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.chat:
            await super().receive_json(content, **kwargs)

    async def chat_offered(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_offered(event)
        else:
            await self.send_json({"type": "workspace", "cue": "offer"})

    async def chat_removed(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_removed(event)

    async def chat_poke_session(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_poke_session(event)

    async def chat_poke(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_poke(event)

    async def chat_lines(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_lines(event)

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_typing(event)

    async def chat_read(self, event: dict[str, Any]) -> None:
        if self.chat:
            await super().chat_read(event)
