"""The inbound SMTP listener: aiosmtpd in a thread of its own, beside the web server.

It accepts mail only for addresses `accepts()` says are ours (550 for any other recipient),
refuses a message over `max_bytes` with 552 (aiosmtpd's data size limit, also announced as
SIZE in EHLO), and hands each message to `deliver()`, which must store it before it returns:
a 250 means the message is kept. When `deliver()` raises, the client is told to try again
later (451) and keeps the message.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arrival:
    """One message as the SMTP client handed it over."""

    raw: bytes
    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str


Accepts = Callable[[str], bool]
Deliver = Callable[[Arrival], str]


class _Handler:
    def __init__(self, *, accepts: Accepts, deliver: Deliver, executor: ThreadPoolExecutor):
        self.accepts = accepts
        self.deliver = deliver
        self.executor = executor

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        def call() -> Any:
            close_old_connections()
            return function(*args)

        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: Sequence[str],
    ) -> str:
        try:
            ours = await self._in_thread(self.accepts, address)
        except Exception:
            logger.exception("SMTP: could not check the recipient %s", address)
            return "451 4.3.0 Temporary failure; try again later"
        if not ours:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        peer = session.peer
        arrival = Arrival(
            raw=raw,
            mail_from=str(envelope.mail_from or ""),
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=str(peer[0]) if isinstance(peer, tuple) else str(peer),
        )
        try:
            reply: str = await self._in_thread(self.deliver, arrival)
        except Exception:
            logger.exception("SMTP: could not store a message from %s", arrival.mail_from)
            return "451 4.3.0 Could not store the message; try again later"
        return reply


class SmtpListener:
    """A background service (caseway.cli.runtime.BackgroundService) serving SMTP."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        accepts: Accepts,
        deliver: Deliver,
        max_bytes: int,
        workers: int = 4,
    ):
        self.name = f"SMTP listener on {host}:{port}"
        self.workers = workers
        self.host = host
        self.port = port
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="caseway-smtp")
        handler = _Handler(accepts=accepts, deliver=deliver, executor=self.executor)
        self.controller = Controller(
            handler,
            hostname=host,
            port=port,
            data_size_limit=max_bytes,
            server_hostname="caseway",
            ident="Caseway ESMTP",
        )

    def start(self) -> None:
        self.controller.start()
        logger.info("%s", self.name)

    def stop(self) -> None:
        """Stop taking connections, then close the database connections of every worker
        thread (one task per thread: each waits at the barrier until all have one)."""
        self.controller.stop()
        barrier = threading.Barrier(self.workers)

        def close() -> None:
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass
            finally:
                connections.close_all()

        for _ in range(self.workers):
            self.executor.submit(close)
        self.executor.shutdown(wait=True, cancel_futures=False)
