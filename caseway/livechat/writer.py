"""The one writer of chat lines in a server process: group commit for the consumers.

A consumer hands its line to `post()` and waits for the answer. The writer runs one batch at
a time in the consumers' database thread (livechat.batch.store_lines): whatever lines arrive
while a batch is being written go together in the next one, so at a few lines a second each
goes alone, as fast as before, and at hundreds a second one transaction, one INSERT and one
timeline task carry many. After each commit it answers every waiting consumer (who then acks)
and sends, per session, the cue that carries the new lines (all of a batch's cues together:
one round trip to Redis, core.channel_layer.group_send_many).
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.layers import get_channel_layer

from caseway.core.channel_layer import group_send_many
from caseway.livechat.batch import MAX_BATCH, LineIn, Stored, store_lines
from caseway.livechat.dbcalls import database_sync_to_async
from caseway.livechat.exceptions import ChatError

logger = logging.getLogger(__name__)

Result = Stored | ChatError | None


class LineWriter:
    def __init__(self) -> None:
        self.pending: list[tuple[LineIn, asyncio.Future[Result]]] = []
        self.flusher: asyncio.Task[None] | None = None

    async def post(self, line: LineIn) -> Result:
        """Stored, a ChatError to tell the sender, or None: use the single path."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.pending.append((line, future))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        layer = get_channel_layer()
        assert layer is not None, "live chat needs a channel layer"
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                written = await database_sync_to_async(store_lines)([line for line, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every waiting consumer gets it
                for _line, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_line, future), result in zip(batch, written.results, strict=True):
                if not future.done():
                    future.set_result(result)
            try:
                await group_send_many(layer, written.cues)
            except Exception:
                # Stored and acknowledged; the connections catch up on their next cue.
                logger.exception("the cues of %d chats failed", len(written.cues))


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LineWriter] = (
    weakref.WeakKeyDictionary()
)


def line_writer() -> LineWriter:
    """The writer of the running loop (one per server process)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = LineWriter()
    return writer
