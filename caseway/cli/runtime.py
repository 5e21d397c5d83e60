"""One process for `caseway run`: the ASGI server in the main thread, background services
(the task worker, the sweeps, IMAP polling, the inbound SMTP listener) in threads beside it.

`caseway worker` runs the same sweeps and IMAP polling beside its task loop.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

import uvicorn
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker

from caseway.cases.merge_sweep import sweep_merge_suggestions
from caseway.connectors.email.smtp import Arrival, SmtpListener
from caseway.core.periodic import registered_periodic
from caseway.intake.email_models import EmailSource
from caseway.intake.mail import is_our_address, poll_mailboxes, receive_email
from caseway.knowledge.services import apply_due_schedules
from caseway.routing.sweeps import run_routing_sweep
from caseway.sla.escalation import SWEEP_BATCH
from caseway.sla.tasks import sweep_sla

logger = logging.getLogger(__name__)

ASGI_APPLICATION = "caseway.config.asgi:application"


class BackgroundService(Protocol):
    """Something that runs beside the web server for the life of the process."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


WORKER_CONNECTION_AGE = 60.0  # seconds a task loop keeps its database connection


@contextmanager
def kept_connections(max_age: float = WORKER_CONNECTION_AGE) -> Iterator[None]:
    """Keep the database connections this thread opens for `max_age` seconds.

    django-tasks-db's task loop calls close_old_connections() around every task, as a request
    would; with CONN_MAX_AGE 0 (right for the ASGI server's threads) that closed the
    connection after each task and opened a new one for the next. A connection that fails is
    still closed at once (close_old_connections() checks it is usable).
    """
    thread = threading.get_ident()

    def keep(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
        if threading.get_ident() == thread:
            connection.close_at = time.monotonic() + max_age

    uid = f"caseway-kept-connections-{thread}"
    connection_created.connect(keep, weak=False, dispatch_uid=uid)
    try:
        yield
    finally:
        connection_created.disconnect(dispatch_uid=uid)


class TaskWorkerThread:
    """The django-tasks-db worker loop (the one `db_worker` runs) in a daemon thread."""

    name = "task worker"

    def __init__(self, *, interval: float = 1.0, queue_names: Sequence[str] = ("default",)):
        self.worker = Worker(
            queue_names=list(queue_names),
            interval=interval,
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=f"run-{get_random_string(24)}",
            excluded_queue_names=[],
        )
        self.thread = threading.Thread(target=self._run, name="caseway-task-worker", daemon=True)

    def _run(self) -> None:
        try:
            with kept_connections():
                self.worker.run()
        except Exception:
            logger.exception("the task worker stopped; background tasks wait for a restart")
        finally:
            connections.close_all()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Let the current task finish and the loop notice; wait a little for it."""
        self.worker.running = False
        self.thread.join(timeout=30)


class PeriodicJob:
    """Call a function every `interval` seconds in a daemon thread until stopped.

    The first call is at start. Calls are `interval` apart from start to start (at once
    after one that took longer). A call that raises is logged and the next one runs on
    time. The thread's database connections are closed after every call, so none is left
    open, or broken, between runs.
    """

    def __init__(self, *, name: str, function: Callable[[], object], interval: float):
        if interval <= 0:
            raise ValueError("the interval of a periodic job must be positive")
        self.name = name
        self.function = function
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"caseway-{name.replace(' ', '-')}", daemon=True
        )

    def _run(self) -> None:
        logger.info("%s: every %s s", self.name, f"{self.interval:g}")
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                self.function()
            except Exception:
                logger.exception("%s failed; trying again in %s s", self.name, self.interval)
            finally:
                connections.close_all()  # this thread's connections only
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))
        logger.info("%s stopped", self.name)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Let a run in progress finish (each SLA timer commits on its own, so a run cut
        short by exiting loses nothing and fires nothing twice); wait a little for it."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=timeout)

    def run_once(self) -> None:
        """One run in the calling thread (`caseway worker --batch`)."""
        try:
            self.function()
        finally:
            connections.close_all()


def sweep_sla_backlog() -> int:
    """Fire every SLA warning and breach that is due, a batch after another while batches
    come back full; return how many fired.

    Each sweep_sla() looks at SWEEP_BATCH due timers. Draining here means a burst
    (a worker back after an outage, thousands of timers due at 09:00 on Monday) is worked off
    at the speed of the database instead of one batch per interval. A batch that fired less
    than a full batch ends the run: nothing more is due, another worker holds the rest
    (SKIP LOCKED), or some timers fail and wait for the next run.
    """
    fired = 0
    while True:
        batch = sweep_sla()
        fired += batch
        if batch < SWEEP_BATCH:
            break
    if fired:
        logger.info("SLA sweep: %s warnings and breaches fired", fired)
    return fired


def sla_sweep_job() -> PeriodicJob:
    """The SLA sweep, every CASEWAY_SLA_SWEEP_SECONDS (env SLA_SWEEP_SECONDS, default 15).

    Why every warning and breach fires within 60 s of its time: a moment is due once its
    next_action_at has passed, and the next run starts at most one interval (15 s by
    default) later. A run finds due timers in one query on the partial `sla_next_action`
    index (under 2 ms at 100,000 open timers) and fires them oldest first, batch after
    batch without waiting (sweep_sla_backlog), at 5 ms (SQLite) to 9 ms (PostgreSQL) a
    timer: in the 45 s left one worker fires about 9,000 or 5,000 moments that fell due
    together, and workers on PostgreSQL share a burst. Measured in docs/benchmarks.md
    ("sla"). Exactly once: each timer is locked, stamped and its actions run in one
    transaction (caseway.sla.escalation), so two workers, or a worker killed and started
    again, never fire a moment twice.
    """
    interval = float(settings.CASEWAY_SLA_SWEEP_SECONDS)
    if interval <= 0:
        raise ImproperlyConfigured("SLA_SWEEP_SECONDS must be a positive number of seconds")
    return PeriodicJob(name="SLA sweep", function=sweep_sla_backlog, interval=interval)


def routing_sweep_job() -> PeriodicJob:
    """Routing's sweep, every CASEWAY_ROUTING_SWEEP_SECONDS (env ROUTING_SWEEP_SECONDS,
    default 10): overflow of cases that waited too long, then assignment of what still waits
    (capacity freed, agents back, declined offers). New cases are assigned at once after
    commit; this catches everything else. Safe in several workers (rows are locked)."""
    interval = float(settings.CASEWAY_ROUTING_SWEEP_SECONDS)
    if interval <= 0:
        raise ImproperlyConfigured("ROUTING_SWEEP_SECONDS must be a positive number of seconds")
    return PeriodicJob(name="routing sweep", function=run_routing_sweep, interval=interval)


# Scheduled publication and expiry run as deferred tasks; this catches up with any the task
# backend could not defer or that were missed while no worker ran.
KB_SCHEDULE_SECONDS = 60.0


def kb_schedule_job() -> PeriodicJob:
    return PeriodicJob(
        name="knowledge schedule", function=apply_due_schedules, interval=KB_SCHEDULE_SECONDS
    )


def merge_sweep_job() -> PeriodicJob:
    """Merge suggestions from what arrived, every CASEWAY_MERGE_SWEEP_SECONDS (env
    MERGE_SWEEP_SECONDS, default 30): off the intake path (caseway.cases.merge_sweep)."""
    interval = float(settings.CASEWAY_MERGE_SWEEP_SECONDS)
    if interval <= 0:
        raise ImproperlyConfigured("MERGE_SWEEP_SECONDS must be a positive number of seconds")
    return PeriodicJob(name="merge sweep", function=sweep_merge_suggestions, interval=interval)


def imap_poll_job() -> PeriodicJob | None:
    """IMAP polling of the mailboxes that have IMAP settings, every CASEWAY_IMAP_POLL_SECONDS
    (env IMAP_POLL_SECONDS, default 60; 0 turns it off). Several workers may poll at once: a
    message taken twice is one InboundEmail (its Message-ID), and one case."""
    interval = float(settings.CASEWAY_IMAP_POLL_SECONDS)
    if interval <= 0:
        return None
    return PeriodicJob(name="IMAP polling", function=poll_mailboxes, interval=interval)


def sweep_jobs() -> list[PeriodicJob]:
    """The periodic jobs every worker runs, then those apps registered (core.periodic)."""
    jobs = [sla_sweep_job(), routing_sweep_job(), kb_schedule_job(), merge_sweep_job()]
    imap = imap_poll_job()
    if imap is not None:
        jobs.append(imap)
    for job in registered_periodic():
        interval = float(job.interval())
        if interval <= 0:
            raise ImproperlyConfigured(f"the interval of {job.name} must be a positive number")
        jobs.append(PeriodicJob(name=job.name, function=job.function, interval=interval))
    return jobs


def deliver_smtp_arrival(arrival: Arrival) -> str:
    """Store and process what the SMTP listener received; the SMTP reply to give."""
    outcome = receive_email(
        raw=arrival.raw,
        source=EmailSource.SMTP,
        envelope_from=arrival.mail_from,
        envelope_to=arrival.rcpt_tos,
    )
    if outcome.case_number:
        return f"250 2.0.0 OK: {outcome.status} {outcome.case_number}"
    return f"250 2.0.0 OK: {outcome.status} (kept as {outcome.email_id})"


def smtp_listener(*, host: str | None = None, port: int | None = None) -> SmtpListener | None:
    """The inbound SMTP listener on CASEWAY_SMTP_LISTEN_HOST:CASEWAY_SMTP_LISTEN_PORT (env
    SMTP_LISTEN_HOST / SMTP_LISTEN_PORT, default 127.0.0.1:2525), or None when the port is
    0 or empty."""
    port = settings.CASEWAY_SMTP_LISTEN_PORT if port is None else port
    if not port:
        return None
    return SmtpListener(
        host=host or settings.CASEWAY_SMTP_LISTEN_HOST,
        port=port,
        accepts=is_our_address,
        deliver=deliver_smtp_arrival,
        max_bytes=settings.CASEWAY_EMAIL_MAX_BYTES,
    )


def uses_database_tasks() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def background_services(*, with_worker: bool = True) -> list[BackgroundService]:
    """Everything that runs beside the web server in `caseway run`.

    Without the worker (`--no-worker`, a `caseway worker` runs elsewhere) the SLA sweep is
    left to that worker too. With a task backend that needs no worker, the sweep still runs
    here: nothing else would fire SLA warnings and breaches.
    """
    services: list[BackgroundService] = []
    if with_worker and uses_database_tasks():
        services.append(TaskWorkerThread())
    if with_worker:
        services.extend(sweep_jobs())
    listener = smtp_listener()
    if listener is not None:
        services.append(listener)
    return services


# Allocations between two young collections (CPython's default is 700). With the default,
# a run of `caseway bench chat` at 1,000 visitors had about 1,500 young collections, 130
# middle and 9 full ones: the objects of frames in flight outlived the young collections,
# were promoted, and each full collection walked every connection's objects, a pause of
# 140 - 290 ms for every socket. With 50,000 a frame's objects die before a young collection
# comes: 6 young collections and 1 full in such a run (docs/benchmarks.md, chat).
GC_THRESHOLDS = (50_000, 20, 10)


def settle_collector(thresholds: tuple[int, int, int] = GC_THRESHOLDS) -> None:
    """Freeze what the server has imported and built so far, and space the collections out.

    Django, the apps and their modules (about 150,000 objects in `caseway run`) never become
    garbage: frozen, no collection walks them again. What comes later is still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(*, host: str, port: int, services: Sequence[BackgroundService]) -> None:
    """Start the services, serve HTTP until Ctrl-C or SIGTERM, then stop everything cleanly.

    uvicorn handles the signal itself (graceful shutdown), then raises it again once it is
    done; both SIGINT and SIGTERM then arrive here as KeyboardInterrupt.
    """
    config = uvicorn.Config(
        ASGI_APPLICATION,
        host=host,
        port=port,
        lifespan="off",
        log_level="info",
        # Chat and workspace frames are small JSON objects: compressing each one costs
        # both ends more CPU than the bytes it saves.
        ws_per_message_deflate=False,
    )
    config.load()  # import the application now, so that settle_collector() freezes it
    settle_collector()
    server = uvicorn.Server(config)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    started: list[BackgroundService] = []
    try:
        for service in services:
            service.start()
            started.append(service)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        for service in reversed(started):
            service.stop()
        signal.signal(signal.SIGTERM, previous)
