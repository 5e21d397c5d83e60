"""Email channel driver for `caseway bench channels`: real messages through the SMTP socket
of Caseway's inbound listener, half new cases and half replies (In-Reply-To one of the new
ones, from the same sender, so they thread onto its case).

A message's latency runs from the start of its SMTP transaction (MAIL FROM) to the 250 that
answers its DATA: the listener gives that only once the message is stored and received by
intake (case opened or message appended), which is when the sender's server would consider
it delivered.

BENCH_ENV = {"IMAP_POLL_SECONDS": "0"}
"""

from __future__ import annotations

import smtplib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime

BENCH_ENV = {"IMAP_POLL_SECONDS": "0"}
MAILBOX = "bench@caseway.localhost"
DOMAIN = "bench.example"


def setup() -> None:
    """The benchmark's mailbox, feeding the default queue."""
    from caseway.cases.queries import default_queue
    from caseway.intake.models import Mailbox

    Mailbox.objects.get_or_create(
        address=MAILBOX, defaults={"name": "Benchmark", "queue": default_queue()}
    )


def _message(*, run: str, n: int, reply_to: str = "") -> tuple[str, str, bytes]:
    """(sender, Message-ID, bytes) of message n; a reply comes from the sender it answers."""
    original = int(reply_to.split("@")[0].rsplit(".", 1)[1]) if reply_to else n
    sender = f"customer{original}.{run}@{DOMAIN}"
    message_id = f"{run}.{n}@{DOMAIN}"
    subject = f"Re: Order {original} has not arrived" if reply_to else f"Order {n} has not arrived"
    headers = [
        f"From: Customer {original} <{sender}>",
        f"To: Support <{MAILBOX}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if reply_to:
        headers += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
        body = "Still nothing here, any news?\r\n\r\n> Order placed last week.\r\n"
    else:
        body = f"Hello,\r\n\r\nI ordered item {n} last week and it has not arrived.\r\n"
    raw = ("\r\n".join(headers) + "\r\n\r\n" + body).encode()
    return sender, message_id, raw


def drive(*, web_url: str, smtp_port: int, count: int, concurrency: int) -> list[int]:
    """Send `count` messages (half new, then half replies to them) with `concurrency` SMTP
    connections; return each message's latency in ns."""
    run = uuid.uuid4().hex[:12]
    new = (count + 1) // 2
    firsts = [_message(run=run, n=n) for n in range(new)]
    replies = [
        _message(run=run, n=new + i, reply_to=firsts[i % new][1]) for i in range(count - new)
    ]
    local = threading.local()
    clients: list[smtplib.SMTP] = []
    lock = threading.Lock()

    def client() -> smtplib.SMTP:
        smtp = getattr(local, "smtp", None)
        if smtp is None:
            smtp = smtplib.SMTP("127.0.0.1", smtp_port, timeout=60)
            smtp.ehlo("bench.example")
            local.smtp = smtp
            with lock:
                clients.append(smtp)
        return smtp

    def send(message: tuple[str, str, bytes]) -> int:
        sender, _id, raw = message
        started = time.perf_counter_ns()
        client().sendmail(sender, [MAILBOX], raw)
        return time.perf_counter_ns() - started

    latencies: list[int] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        latencies += pool.map(send, firsts)  # every original is in before its reply is sent
        latencies += pool.map(send, replies)
    for smtp in clients:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()
    return latencies
