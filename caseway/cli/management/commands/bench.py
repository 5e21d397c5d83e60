"""`caseway bench NAME`: run one benchmark in a fresh database of its own.

The command creates a throw-away database (SQLite in a temporary directory, or a
caseway_bench_<random> database on the PostgreSQL server of --database-url / DATABASE_URL),
then runs itself again in a child process pointed at it (`--inner`), because Django's
DATABASES cannot be switched safely at run time. The child migrates, sets up, measures,
prints a table and one final line of JSON; the parent relays it and drops the database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

import caseway
from bench.databases import fresh_database, supports

# name -> module with add_arguments(parser), inner_argv(options) and run(options=, out=),
# and optionally inner_env(options): environment variables for the benchmark process.
BENCHES: dict[str, str] = {
    "intake": "bench.intake",
    "sla": "bench.sla",
    "routing": "bench.routing",
    "search": "bench.search",
    "bot": "bench.bot",
    "channels": "bench.channels",
    "listening": "bench.listening",
    "chat": "bench.chat",
}
BENCH_DATABASE_ENV = "CASEWAY_BENCH_DATABASE"


def bench_module(name: str) -> ModuleType:
    return import_module(BENCHES[name])


class Command(BaseCommand):
    help = "Run a benchmark (in a fresh database) and print its figures."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        benches = parser.add_subparsers(dest="name", required=True, metavar="NAME")
        for name in BENCHES:
            module = bench_module(name)
            summary = (module.__doc__ or name).strip().splitlines()[0]
            sub = benches.add_parser(name, help=summary, description=module.__doc__)
            sub.add_argument(
                "--database-url",
                default=None,
                help="PostgreSQL server to create the benchmark database on (default: "
                "DATABASE_URL, else SQLite in a temporary directory). Its own databases are "
                "never touched: the benchmark creates and drops a caseway_bench_* one.",
            )
            sub.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
            module.add_arguments(sub)

    def handle(self, *args: Any, name: str, inner: bool, database_url: str | None, **options: Any
               ) -> None:  # fmt: skip
        module = bench_module(name)
        if inner:
            self._check_bench_database()
            module.run(options=options, out=self.stdout)
            return
        server_url = database_url or os.environ.get("DATABASE_URL")
        if not supports(server_url):
            raise CommandError("benchmarks run on PostgreSQL or SQLite; see --database-url")
        with fresh_database(server_url) as db:
            env = {
                **os.environ,
                "DATABASE_URL": db.url,
                "CASEWAY_VAR_DIR": str(db.var_dir),
                BENCH_DATABASE_ENV: db.name,
                "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
                "DEBUG": "0",
                "PYTHONPATH": _python_path(),
            }
            # A benchmark may need settings in its process (webhook secrets, for one).
            inner_env = getattr(module, "inner_env", None)
            if inner_env is not None:
                env.update(inner_env(options))
            argv = [sys.executable, "-m", "caseway", "bench", name, "--inner"]
            self._relay(argv + module.inner_argv(options), env)

    def _relay(self, argv: list[str], env: dict[str, str]) -> None:
        """Run the benchmark process, passing its output through as it comes."""
        with subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv, env=env, stdout=subprocess.PIPE, text=True
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                self.stdout.write(line, ending="")
                self.stdout.flush()
        if process.returncode:
            raise CommandError(f"the benchmark process failed (exit status {process.returncode})")

    def _check_bench_database(self) -> None:
        """--inner runs only against the database the parent process made for it."""
        expected = os.environ.get(BENCH_DATABASE_ENV)
        actual = str(settings.DATABASES["default"]["NAME"])
        if not expected or expected != actual:
            raise CommandError("--inner runs only in a database created by `caseway bench`")


def _python_path() -> str:
    """Make sure the child imports this very checkout of caseway and bench."""
    root = str(Path(caseway.__file__).resolve().parent.parent)
    return os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
