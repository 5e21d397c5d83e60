"""`caseway worker`: the background task worker alone, to run more of them (scale out).

A thin wrapper over django-tasks-db's `db_worker`, with all of its options, that also runs
the SLA and routing sweeps (caseway.cli.runtime.sweep_jobs) in threads beside the task loop. Any
number of workers may sweep at once: each warning, breach and overflow still happens once.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from caseway.cli.runtime import kept_connections, sweep_jobs


class Command(DbWorkerCommand):
    help = "Run the background task worker and the SLA sweep on their own (see also `caseway run`)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-sla-sweep",
            action="store_true",
            help="Run tasks only; leave firing SLA warnings and breaches to other workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Start the sweep, run the task loop until SIGTERM or Ctrl-C, then stop the sweep.

        The task loop answers those signals by leaving through SystemExit, which passes
        through the `finally` below. With --batch the sweep runs once, first, so the mail
        it queues goes out in the same batch. With --reload only the reloaded child sweeps.
        """
        if options.pop("no_sla_sweep", False) or self._is_reloader_parent(options):
            self._run_tasks(*args, **options)
            return
        jobs = sweep_jobs()
        if options.get("batch"):
            for job in jobs:
                job.run_once()
            self._run_tasks(*args, **options)
            return
        for job in jobs:
            job.start()
        try:
            self._run_tasks(*args, **options)
        finally:
            for job in jobs:
                job.stop()

    def _run_tasks(self, *args: Any, **options: Any) -> None:
        """The task loop, one database connection across its tasks (kept_connections)."""
        with kept_connections():
            super().handle(*args, **options)

    @staticmethod
    def _is_reloader_parent(options: dict[str, Any]) -> bool:
        reloads = bool(options.get("reload")) and not options.get("batch")
        return reloads and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
