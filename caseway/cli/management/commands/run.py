"""`caseway run`: migrate, collect static files, load the demo once, then serve everything
(web + task worker) from one process until Ctrl-C."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from caseway.cli.banner import render_banner
from caseway.cli.demo.people import DEMO_LOGINS, DemoLogin
from caseway.cli.runtime import background_services, serve


class Command(BaseCommand):
    help = "Prepare the database and serve Caseway (web and task worker) in one process."
    requires_system_checks: list[str] = []  # migrate and the server run them

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not load the demo data.")
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not run the task worker in-process."
        )

    def handle(
        self, *args: Any, host: str, port: int, no_seed: bool, no_worker: bool, **options: Any
    ) -> None:
        verbosity = options["verbosity"]
        # One line per migration is noise on every start; -v 2 shows them.
        call_command(
            "migrate", interactive=False, verbosity=max(verbosity - 1, 0), stdout=self.stdout
        )
        self.stdout.write("Database is up to date.")
        call_command("collectstatic", interactive=False, verbosity=0, stdout=self.stdout)
        if not no_seed:
            call_command("seed", stdout=self.stdout)
        services = background_services(with_worker=not no_worker)
        self.stdout.write(
            render_banner(
                base_url=f"http://{_url_host(host)}:{port}",
                logins=demo_logins_present(),
                services=[service.name for service in services],
            )
        )
        self.stdout.flush()
        serve(host=host, port=port, services=services)


def demo_logins_present() -> list[DemoLogin]:
    """The demo logins whose users still exist (an operator may have removed them)."""
    existing = set(
        get_user_model()
        .objects.filter(username__in=[login.username for login in DEMO_LOGINS], is_active=True)
        .values_list("username", flat=True)
    )
    return [login for login in DEMO_LOGINS if login.username in existing]


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):  # noqa: S104 - only shown, the server binds what was asked
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
