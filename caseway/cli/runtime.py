"""One process for `caseway run`: the ASGI server in the main thread, background services
(the task worker, later the inbound SMTP listener) in threads beside it."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Protocol

import uvicorn
from django.db import connections
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

ASGI_APPLICATION = "caseway.config.asgi:application"


class BackgroundService(Protocol):
    """Something that runs beside the web server for the life of the process."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


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


def uses_database_tasks() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def background_services(*, with_worker: bool = True) -> list[BackgroundService]:
    """Everything that runs beside the web server in `caseway run`."""
    services: list[BackgroundService] = []
    if with_worker and uses_database_tasks():
        services.append(TaskWorkerThread())
    # The inbound SMTP listener (email connector) is added here when it lands.
    return services


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(*, host: str, port: int, services: Sequence[BackgroundService]) -> None:
    """Start the services, serve HTTP until Ctrl-C or SIGTERM, then stop everything cleanly.

    uvicorn handles the signal itself (graceful shutdown), then raises it again once it is
    done; both SIGINT and SIGTERM then arrive here as KeyboardInterrupt.
    """
    server = uvicorn.Server(
        uvicorn.Config(ASGI_APPLICATION, host=host, port=port, lifespan="off", log_level="info")
    )
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
