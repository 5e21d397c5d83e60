"""Messages per second for each channel, end to end through its real entry point on localhost.

The benchmark starts `caseway run` (web server, background services and the inbound SMTP
listener, exactly as `make run` does, without the demo data) as a separate process on the
benchmark's database, then drives each channel from this process with real clients: SMTP
over a socket for email, signed HTTP webhooks for SMS, voice and the social networks. Each
channel's driver is `bench/channel_<name>.py`, which knows its provider's wire format and
signatures. Measured per channel: the latency of every message from send to the entry
point's acknowledgement (the SMTP 250, the webhook's HTTP response), and the processed
rate: messages until the last one is stored as processed (or kept as failed) in the
database, divided by the time from the first send.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import import_module
from types import ModuleType
from typing import Any, TextIO

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.measure import at_least_one, percentile, render_table
from caseway.intake.models import InboundRecord

# Channel name -> the InboundRecord channels its messages are stored under.
DRIVERS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("sms",),
    "voice": ("voice",),
    "social": ("facebook", "x"),
}
SMTP_PORT_ENV = "SMTP_LISTEN_PORT"
READY_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 300.0


def available_drivers() -> dict[str, ModuleType]:
    """The drivers present in this checkout, by channel name."""
    drivers = {}
    for name in DRIVERS:
        try:
            drivers[name] = import_module(f"bench.channel_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.channel_{name}":
                raise
    return drivers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--count", type=at_least_one, default=2_000, help="messages per channel (default 2000)"
    )
    parser.add_argument(
        "--concurrency", type=at_least_one, default=8,
        help="client connections sending at once (default 8)",
    )  # fmt: skip
    parser.add_argument(
        "--channels", default=",".join(DRIVERS),
        help=f"comma-separated channels to drive (default: {','.join(DRIVERS)})",
    )  # fmt: skip


def inner_argv(options: dict[str, Any]) -> list[str]:
    return [
        "--count", str(options["count"]),
        "--concurrency", str(options["concurrency"]),
        "--channels", options["channels"],
    ]  # fmt: skip


def inner_env(options: dict[str, Any]) -> dict[str, str]:
    """Settings the drivers need in both processes (webhook secrets, provider base URLs)."""
    env: dict[str, str] = {}
    for module in available_drivers().values():
        env.update(getattr(module, "BENCH_ENV", {}))
    return env


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    call_command("migrate", interactive=False, verbosity=0)
    wanted = [name.strip() for name in options["channels"].split(",") if name.strip()]
    drivers = available_drivers()
    missing = [name for name in wanted if name not in drivers]
    if missing:
        raise SystemExit(f"no driver for channel(s): {', '.join(missing)}")
    for name in wanted:
        setup = getattr(drivers[name], "setup", None)
        if setup is not None:
            setup()
    connection.close()  # the server process writes too (SQLite: one writer at a time)

    web_port, smtp_port = _free_port(), _free_port()
    results: dict[str, dict[str, Any]] = {}
    with _server(web_port=web_port, smtp_port=smtp_port) as web_url:
        for name in wanted:
            results[name] = _drive(
                name,
                drivers[name],
                web_url=web_url,
                smtp_port=smtp_port,
                count=options["count"],
                concurrency=options["concurrency"],
            )
            connection.close()
    figures = {
        "bench": "channels",
        "db": connection.vendor,
        "count": options["count"],
        "concurrency": options["concurrency"],
        "channels": results,
    }
    out.write(report(figures) + "\n")
    out.write(json.dumps(figures) + "\n")
    return figures


def _drive(
    name: str, module: ModuleType, *, web_url: str, smtp_port: int, count: int, concurrency: int
) -> dict[str, Any]:
    kinds = DRIVERS[name]
    before = _stored(kinds)
    started = time.perf_counter()
    latencies = sorted(
        module.drive(web_url=web_url, smtp_port=smtp_port, count=count, concurrency=concurrency)
    )
    sent_s = time.perf_counter() - started
    stored, deadline = _stored(kinds) - before, time.monotonic() + DRAIN_TIMEOUT_S
    while stored < len(latencies) and time.monotonic() < deadline:
        time.sleep(0.05)
        stored = _stored(kinds) - before
    done_s = time.perf_counter() - started
    failed = InboundRecord.objects.filter(channel__in=kinds, status="failed").count()
    return {
        "messages": len(latencies),
        "stored": stored,
        "failed": failed,
        "acked_per_s": round(len(latencies) / sent_s, 1),
        "per_s": round(stored / done_s, 1),
        "p50_ms": round(percentile(latencies, 50) / 1e6, 3),
        "p95_ms": round(percentile(latencies, 95) / 1e6, 3),
        "p99_ms": round(percentile(latencies, 99) / 1e6, 3),
        "max_ms": round(latencies[-1] / 1e6, 3) if latencies else 0.0,
    }


def _stored(kinds: tuple[str, ...]) -> int:
    return InboundRecord.objects.filter(channel__in=kinds).count()


class _server:
    """`caseway run` in a child process on free ports, for the length of a with block."""

    def __init__(self, *, web_port: int, smtp_port: int, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None):  # fmt: skip
        self.web_port, self.smtp_port = web_port, smtp_port
        self.args, self.env = args, env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        env = {
            **os.environ,
            "PORT": str(self.web_port),
            "HOST": "127.0.0.1",
            SMTP_PORT_ENV: str(self.smtp_port),
            "LOG_LEVEL": "WARNING",
            # The public URL providers sign their webhooks for (Twilio signs the URL it
            # called): the same in the server as in the drivers that sign, as behind a proxy.
            "SITE_URL": str(settings.SITE_URL),
            **self.env,
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "caseway", "run", "--no-seed", "-v", "0", *self.args],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{self.web_port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"caseway run exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/", timeout=2):  # noqa: S310 - localhost
                    return url
            except urllib.error.HTTPError:
                return url  # it answers
            except OSError:
                time.sleep(0.2)
        raise SystemExit("caseway run did not answer in time")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def report(figures: dict[str, Any]) -> str:
    header = [
        "channel", "messages", "processed/s", "acked/s", "p50 ms", "p95 ms", "p99 ms",
        "max ms", "failed",
    ]  # fmt: skip
    rows = [
        [
            name,
            str(r["messages"]),
            f"{r['per_s']:.1f}",
            f"{r['acked_per_s']:.1f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p95_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            f"{r['max_ms']:.2f}",
            str(r["failed"]),
        ]
        for name, r in figures["channels"].items()
    ]
    title = (
        f"channels on {figures['db']}: {figures['count']} messages per channel, "
        f"{figures['concurrency']} client connections"
    )
    return title + "\n" + render_table(header, rows)
