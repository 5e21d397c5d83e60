"""Server-sent events for the signed-in agent: a cue whenever something they see changed.

Every few seconds the stream reads a cheap state (newest offer and newest phone call taken
by the agent, the sidebar's numbers, presence, load; three queries) and sends an event naming
what changed: `offer`, `call` (the page pops the call's case), `counts`, `presence`, `load`.
The page answers by asking the existing partial endpoints (the poll, the load meter), so
rendering has one code path. The first event, `ready`, lets the page
catch up on anything between its rendering and the connection.

The database is read in a worker thread and the connection closed after each check, so an open
stream holds no connection while it waits. The stream ends after a few minutes (the browser's
EventSource reconnects) and when the client goes away (Django cancels the response).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from caseway.cases.queries import is_agent
from caseway.routing.explain import agent_bar
from caseway.routing.models import AgentLoad
from caseway.workspace.listing import nav_badges

# Seconds between checks, seconds a stream lasts, seconds between keep-alive comments.
INTERVAL = 2.0
LIFETIME = 300.0
KEEPALIVE = 20.0
# What the browser waits before reconnecting, in milliseconds.
RETRY_MS = 3000


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def read_state(agent: AbstractBaseUser) -> dict[str, Any]:
    """What the agent's page shows that may change, in three queries; then close the
    connection (the stream waits without holding one)."""
    try:
        bar = agent_bar(agent)
        badges = nav_badges(agent)
        loads = sorted(
            AgentLoad.objects.filter(agent_id=agent.pk).values_list(
                "work_kind", "active", "assigned_today", "day"
            )
        )
        return {
            "offer": bar.newest_offer_id,
            "call": bar.newest_call_id,
            "presence": bar.state,
            "counts": (
                badges.counts.mine_version,
                badges.counts.unassigned,
                badges.counts.open,
                tuple(sorted((pk, q.open, q.unassigned) for pk, q in badges.queues.items())),
            ),
            "load": tuple(loads),
        }
    finally:
        if not connection.in_atomic_block:
            connection.close()


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The event types to send for a change of state, in a stable order."""
    names = [
        name
        for name in ("offer", "call", "counts", "presence", "load")
        if before[name] != after[name]
    ]
    if "presence" in names and "load" not in names:
        names.append("load")  # the meter sits next to the switcher and shares its refresh
    return names


def frame(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


async def stream(agent: AbstractBaseUser) -> AsyncIterator[bytes]:
    """Events for `agent` until the stream's lifetime is over."""
    interval = _setting("CASEWAY_EVENTS_INTERVAL", INTERVAL)
    lifetime = _setting("CASEWAY_EVENTS_LIFETIME", LIFETIME)
    read = sync_to_async(read_state)
    state = await read(agent)
    yield f"retry: {RETRY_MS}\n".encode() + frame("ready", str(state["offer"]))
    started = last_sent = time.monotonic()
    while time.monotonic() - started < lifetime:
        await asyncio.sleep(interval)
        current = await read(agent)
        names = changes(state, current)
        state = current
        for name in names:
            yield frame(name, str(current["offer"]) if name == "offer" else "1")
            last_sent = time.monotonic()
        if time.monotonic() - last_sent >= KEEPALIVE:
            yield b": keep-alive\n\n"
            last_sent = time.monotonic()
    yield frame("bye", "")


async def events(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The event stream of the signed-in agent; 403 for anyone else (EventSource then stops
    and the page falls back to polling, which sends them to sign in)."""
    user = await request.auser()
    if not is_agent(user):
        return HttpResponse(status=403 if user.is_authenticated else 401)
    assert isinstance(user, AbstractBaseUser)
    if not isinstance(request, ASGIRequest):
        # Under WSGI a stream would hold a worker thread: 204 tells EventSource not to
        # reconnect, and the page polls instead.
        return HttpResponse(status=204)
    response = StreamingHttpResponse(stream(user), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, max-age=0"
    response["X-Accel-Buffering"] = "no"  # no buffering by a proxy in front
    return response
