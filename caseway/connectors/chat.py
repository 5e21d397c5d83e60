"""Live chat: visitors talk over Caseway's own websocket (/ws/chat/), so a reply is delivered
by a push on the channel layer to the case's chat group, where the visitor's connection (in
this process, or in another one through Redis) picks it up and reads it from the database.

The push names the case and the activity only; what the visitor sees is always read from the
database, so a lost or repeated push loses or repeats nothing.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Iterator
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from caseway.connectors.exceptions import ConnectorError
from caseway.connectors.messages import DeliveryReceipt, OutboundMessage
from caseway.core.kinds import ChannelKind

logger = logging.getLogger(__name__)

# The event loop of the ASGI server in this process, set by the first websocket that
# connects. The in-memory channel layer's queues belong to that loop: a push from another
# thread (the task worker of `caseway run`) must run on it, not on a loop of its own.
_server_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


# A process with no ASGI server (`caseway worker`) on a layer that crosses processes (Redis)
# pushes from a loop of its own, in a thread that lives as long as the process: one
# connection to Redis for every push, where async_to_sync would start a loop, a thread and a
# connection for each.
_own_loop: asyncio.AbstractEventLoop | None = None


def bind_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    with _lock:
        _server_loop = loop


_own_pending: set[concurrent.futures.Future[None]] = set()
_pending_lock = threading.Lock()


def _push_loop() -> asyncio.AbstractEventLoop:
    global _own_loop
    with _lock:
        if _own_loop is None:
            _own_loop = asyncio.new_event_loop()
            threading.Thread(
                target=_own_loop.run_forever, name="caseway-push-loop", daemon=True
            ).start()
            atexit.register(_finish_pushes)
        return _own_loop


def _finish_pushes(timeout: float = 10) -> None:
    """At exit (a command, a worker stopping): the pushes not yet sent go before the loop's
    thread stops with the process."""
    with _pending_lock:
        pending = list(_own_pending)
    concurrent.futures.wait(pending, timeout=timeout)


def _sent(future: concurrent.futures.Future[None]) -> None:
    with _pending_lock:
        _own_pending.discard(future)


def case_group(reference: str) -> str:
    """The channel-layer group of a case's chat (group names take ASCII letters, digits, '-',
    '_' and '.')."""
    return f"chat.case.{reference}"


# Per thread, while pushes_folded() is on: the after-commit cues held back, by group.
_folding = threading.local()

# The type of the message that carries several cues (consumers: ChatConsumer.push_batch).
BATCH_TYPE = "push.batch"


@contextlib.contextmanager
def pushes_folded() -> Iterator[None]:
    """Inside, the after-commit cues of this thread (push(wait=False)) wait; at the end they go
    as ONE message per group, {"type": "push.batch", "events": [...]} (or the one event as
    it is). A task that puts two hundred chat lines on their cases then sends the queue's
    consoles one message instead of four hundred: one publish, one receive in each server,
    one frame per page. Nested, the outermost sends. The cues go even if the block raises:
    what they tell about committed."""
    if getattr(_folding, "groups", None) is not None:
        yield
        return
    groups: dict[str, list[dict[str, Any]]] = {}
    _folding.groups = groups
    try:
        yield
    finally:
        _folding.groups = None
        for group, events in groups.items():
            event = events[0] if len(events) == 1 else {"type": BATCH_TYPE, "events": events}
            try:
                push(group, event, wait=False)
            except Exception:
                logger.exception("push to %s failed", group)


def push(group: str, event: dict[str, Any], *, wait: bool = True) -> None:
    """group_send from synchronous code, on the server's loop when there is one (else, on a
    layer that crosses processes, on this process's own push loop).

    With `wait=False` (the after-commit cues, which only log a failure) a push to the
    server's loop is scheduled and not waited for: the thread that committed (the one that
    runs every consumer's writes) then does not stall until the busy loop gets to it; a
    failure is logged when it happens. Pushes from one thread run in the order given.
    """
    held = getattr(_folding, "groups", None)
    if held is not None and not wait:
        held.setdefault(group, []).append(event)
        return
    layer = get_channel_layer()
    if layer is None:
        raise ConnectorError("no channel layer is configured")
    loop = _server_loop
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is None or not loop.is_running():
        across = not isinstance(layer, InMemoryChannelLayer)
        loop = _push_loop() if across and running is None else None
    if loop is not None and running is not loop:
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
        if loop is _own_loop:
            with _pending_lock:
                _own_pending.add(future)
            future.add_done_callback(_sent)
        if wait:
            future.result(timeout=10)
        else:
            future.add_done_callback(partial(_log_failure, group))
        return
    async_to_sync(layer.group_send)(group, event)


def _log_failure(group: str, future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        logger.error("push to %s failed", group, exc_info=exc)


class ChatAdapter:
    """Replies on the live chat channel: pushed to the case's chat group."""

    kinds: tuple[str, ...] = (ChannelKind.CHAT,)

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        if not message.reference:
            raise ConnectorError("a chat reply needs its case reference")
        event = {
            "type": "chat.delivered",
            "activity_id": message.meta.get("activity_id"),
            "reference": message.reference,
        }
        try:
            push(case_group(message.reference), event)
        except (OSError, TimeoutError) as exc:
            raise ConnectorError(f"the chat push failed: {exc}") from exc
        return DeliveryReceipt(status="delivered", detail="pushed to the live chat")
