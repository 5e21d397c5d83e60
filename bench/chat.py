"""chat: N visitor websockets held by one server process, agents answering every line.

Setup: migrate; a chat queue (queue routing for chats) that a rule sends every chat case to,
--agents available agents in it whose chat capacity covers every visitor, a signed-in
session for each. Then ONE server process, `caseway run --no-seed` (uvicorn on the ASGI app,
the task worker in a thread of the same process), on a free port, and websocket clients in
processes of their own (bench/chat_clients.py): one for all the agents' consoles on
/ws/agent/, --client-processes for the visitors on /ws/chat/. Every visitor's chat is started,
handed to a person and accepted by the agent routing offered it to (not timed: setup), by
default through the services the websockets call, in this process before the server starts
(`--setup direct`; the visitors then resume their chats), or each over its websocket with
the bot, the handoff and the console's accept (`--setup websocket`: about 0.4 s a visitor at
5,000).

Timed: for --seconds, visitor lines at --rate per second in all, round robin over the
visitors, on an open-loop schedule (each line's latency counts from when it was due, so a
slow server cannot hide behind a client that waits). Every agent answers every line it sees.
Measured: visitor send -> ack (the line is stored), visitor send -> the agent sees the line,
agent reply -> the visitor sees it; p50/p95/p99/max; lines per second; connections still open
at the end (all must be); lines lost or seen twice; server RSS and CPU; the clients' CPU; and
how far the cases' timelines followed (the lines on their case when the drain ended, the lag
from stored to on the case, and when the last one got there).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import IO, Any, TextIO

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection

from bench.channels import _free_port, _server
from bench.measure import at_least_one, percentile, render_table
from caseway.cases.models import Queue
from caseway.livechat.models import ChatLine, LineRole
from caseway.routing.models import (
    AgentProfile,
    CapacityProfile,
    Presence,
    QueueRouting,
    RoutingRule,
    WorkKind,
)

DRAIN_S = 10.0  # after the last line is due, how long answers may still come
CATCH_UP_S = 120.0  # after the drain, how long the timelines may take to follow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visitors", type=at_least_one, default=5_000,
                        help="visitor websockets held at once (default 5000)")  # fmt: skip
    parser.add_argument("--agents", type=at_least_one, default=50,
                        help="agent consoles answering them (default 50)")  # fmt: skip
    parser.add_argument("--rate", type=at_least_one, default=500,
                        help="visitor lines per second in all (default 500)")  # fmt: skip
    parser.add_argument("--seconds", type=at_least_one, default=30,
                        help="length of the paced phase (default 30)")  # fmt: skip
    parser.add_argument("--client-processes", type=at_least_one, default=2,
                        help="processes the visitors are spread over (default 2)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=0,
                        help="task workers in processes of their own (`caseway worker`), the "
                             "server then runs none and every process shares the Redis channel "
                             "layer at --redis-url; default 0: the server's own worker thread, "
                             "as `make run`")  # fmt: skip
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                        help="the Redis of the channel layer with --workers")  # fmt: skip
    parser.add_argument("--workers-after-drain", action="store_true",
                        help="start the --workers only when the drain ends: the server alone "
                             "in the timed phase (the timelines follow afterwards), to tell its "
                             "figures from a machine it shares with them")  # fmt: skip
    parser.add_argument("--setup", choices=["direct", "websocket"], default="direct",
                        help="how the chats are opened and accepted before the timed phase: "
                             "through the services in the benchmark's process (default), or "
                             "over the websockets")  # fmt: skip


def inner_argv(options: dict[str, Any]) -> list[str]:
    return [
        "--visitors", str(options["visitors"]), "--agents", str(options["agents"]),
        "--rate", str(options["rate"]), "--seconds", str(options["seconds"]),
        "--client-processes", str(options["client_processes"]),
        "--workers", str(options["workers"]), "--redis-url", options["redis_url"],
        "--setup", options["setup"],
        *(["--workers-after-drain"] if options["workers_after_drain"] else []),
    ]  # fmt: skip


def inner_env(options: dict[str, Any]) -> dict[str, str]:
    # Replies are delivered by the deliver_reply task: the server's worker must run it.
    return {"TASKS_BACKEND": "django_tasks_db.DatabaseBackend", "LOG_LEVEL": "WARNING"}


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    raise_fd_limit()
    call_command("migrate", interactive=False, verbosity=0)
    cookies = create_desk(options["visitors"], options["agents"])
    opened = time.monotonic()
    tokens = open_chats(options["visitors"]) if options["setup"] == "direct" else []
    options = {**options, "tokens": tokens, "direct_setup_s": time.monotonic() - opened}
    vendor = connection.vendor
    connection.close()  # the server process writes too (SQLite: one writer at a time)
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    workers, layer = options["workers"], {}
    if workers:
        layer = {"REDIS_URL": options["redis_url"]}
        flush_layer(options["redis_url"])
    server = _server(web_port=port, smtp_port=_free_port(),
                     args=("--no-worker",) if workers else (), env=layer)  # fmt: skip
    deferred = options["workers_after_drain"]
    with server as web_url, contextlib.ExitStack() as stack:
        start_workers = partial(stack.enter_context, worker_processes(workers, layer))
        if not deferred:
            start_workers()
        assert server.process is not None
        server_pid = server.process.pid
        figures = drive(options, web_url.replace("http://", "ws://"), origin, cookies, server_pid,
                        after_drain=start_workers if deferred else None)  # fmt: skip
    figures = {"bench": "chat", "db": vendor, "workers": workers,
               "workers_after_drain": deferred, **figures}  # fmt: skip
    out.write(report(figures) + "\n")
    out.write(json.dumps(figures) + "\n")
    return figures


def flush_layer(url: str) -> None:
    """An earlier run's groups and messages out of the Redis the layer uses."""
    import redis

    redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def worker_processes(count: int, env: dict[str, str]) -> Iterator[None]:
    """`caseway worker` processes for the length of a with block."""
    argv = [sys.executable, "-m", "caseway", "worker", "--no-sla-sweep", "-v", "0"]
    worker_env = {**os.environ, "LOG_LEVEL": "WARNING", **env}
    procs = []
    for _ in range(count):
        # Our own interpreter and module.
        procs.append(subprocess.Popen(argv, env=worker_env, stdout=subprocess.DEVNULL))  # noqa: S603
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def raise_fd_limit() -> None:
    """5,000 sockets want more than the usual 1,024 descriptors; children inherit it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def create_desk(visitors: int, agents: int) -> list[str]:
    """The chat queue, rule and agents; a session cookie for each agent."""
    queue = Queue.objects.create(name="Chat", slug="chat")
    QueueRouting.objects.create(queue=queue, work_kind=WorkKind.CHAT)
    RoutingRule.objects.create(name="Chats", order=1, channels=["chat"], queue=queue)
    capacity = CapacityProfile.objects.create(
        name="Chats (bench)", work_kind=WorkKind.CHAT, max_units=math.ceil(visitors / agents) + 1
    )
    users = get_user_model()
    cookies = []
    for n in range(agents):
        user = users.objects.create_user(
            username=f"agent{n}", email=f"agent{n}@caseway.test", first_name=f"Agent {n}",
            is_staff=True,
        )  # fmt: skip
        queue.members.add(user)
        profile = AgentProfile.objects.create(agent=user, presence=Presence.AVAILABLE)
        profile.capacity_profiles.add(capacity)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def open_chats(count: int) -> list[str]:
    """`count` chats as the widget and the console open them (start, ask for a person, the
    agent routing offered it to accepts), through the same services; their tokens."""
    from caseway.livechat import agent as agent_services
    from caseway.livechat import services

    tokens = []
    for n in range(count):
        session = services.start_session(
            name=f"Visitor {n}", email=f"visitor{n}@bench.test",
            question="Can I talk to someone about my order, please?",
        )  # fmt: skip
        session = services.request_person(session=session)
        owner = session.case.owner if session.case else None  # type: ignore[union-attr]
        if owner is None:
            raise SystemExit(f"chat {n} was offered to nobody: not enough chat capacity")
        agent_services.accept_chat(session=session, agent=owner)
        tokens.append(session.token)
    return tokens


def _client(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.chat_clients", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip


def _tell(process: subprocess.Popen[str], obj: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(obj) + "\n")
    process.stdin.flush()


def _hear(process: subprocess.Popen[str]) -> dict[str, Any]:
    stream: IO[str] | None = process.stdout
    assert stream is not None
    line = stream.readline()
    if not line:
        raise SystemExit(f"a chat client exited (status {process.wait()})")
    result: dict[str, Any] = json.loads(line)
    return result


def drive(options: dict[str, Any], url: str, origin: str, cookies: list[str], server_pid: int,
          after_drain: Callable[[], Any] | None = None) -> dict[str, Any]:  # fmt: skip
    count, procs = options["visitors"], min(options["client_processes"], options["visitors"])
    agents = _client(["agents", "--url", url, "--origin", origin])
    _tell(agents, cookies)  # type: ignore[arg-type]
    _hear(agents)
    setup_started = time.monotonic()
    visitors, first = [], 0
    for k in range(procs):
        share = count // procs + (1 if k < count % procs else 0)
        visitors.append(_client(["visitors", "--url", url, "--origin", origin,
                                 "--first", str(first), "--count", str(share)]))  # fmt: skip
        _tell(visitors[-1], {"tokens": options["tokens"][first : first + share]})
        first += share
    ready = [_hear(p) for p in visitors]
    held = sum(r["ready"] for r in ready)
    _tell(agents, {"chats": held})
    shown = _hear(agents)["chats"]
    setup_s = time.monotonic() - setup_started + options["direct_setup_s"]
    if held == 0:
        raise SystemExit(f"no visitor got to an agent: {ready}")
    rate, seconds = options["rate"], options["seconds"]
    cpu0, wall0 = _proc_cpu(server_pid), time.monotonic()
    t0 = time.monotonic_ns() + 500_000_000
    step = int(1e9 / rate)
    _tell(agents, {"mark": True})
    for k, p in enumerate(visitors):
        _tell(p, {"go": t0, "rate": rate / procs, "seconds": seconds, "offset": k * step})
    time.sleep(0.5 + seconds + DRAIN_S)
    cpu1, wall1 = _proc_cpu(server_pid), time.monotonic()
    rss_mb = _rss_mb(server_pid)
    if after_drain is not None:
        after_drain()
    followed = timeline_followed(drained_at=wall1)
    for p in visitors:
        _tell(p, {"stop": True})
    visitor_results = [_hear(p) for p in visitors]
    _tell(agents, {"stop": True})
    agent_result = _hear(agents)
    for p in [*visitors, agents]:
        p.wait(timeout=60)
    figures = summarize(options, held, ready, setup_s, visitor_results, agent_result,
                        server_cpu_s=cpu1 - cpu0, wall_s=wall1 - wall0, rss_mb=rss_mb)  # fmt: skip
    return figures | {"timeline": followed, "chats_shown": shown}


def timeline_followed(*, drained_at: float) -> dict[str, Any]:
    """The lines of either side (not the pre-chat question) on their case's timeline when the
    drain ended, the lag of each from stored to on the case (the activity's time), and how
    long after the drain the last one got there (waited for up to CATCH_UP_S)."""
    lines = ChatLine.objects.filter(role__in=[LineRole.VISITOR, LineRole.AGENT]).exclude(
        client_id="prechat"
    )
    total = lines.count()
    at_drain = lines.filter(activity__isnull=False).count()
    while lines.filter(activity__isnull=True).exists():
        if time.monotonic() - drained_at > CATCH_UP_S:
            break
        time.sleep(0.5)
    caught_up_s = time.monotonic() - drained_at
    lags = [
        int((recorded - stored).total_seconds() * 1e9)
        for stored, recorded in lines.filter(activity__isnull=False).values_list(
            "created_at", "activity__created_at"
        )
    ]
    connection.close()
    return {
        "lines": total, "on_case_at_drain": at_drain, "on_case": len(lags),
        "caught_up_s": round(caught_up_s, 1) if len(lags) == total else None,
        "lag": _stats(lags),
    }  # fmt: skip


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its threads."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _stats(values: list[int]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 50) / 1e6, 2),
        "p95_ms": round(percentile(ordered, 95) / 1e6, 2),
        "p99_ms": round(percentile(ordered, 99) / 1e6, 2),
        "max_ms": round(ordered[-1] / 1e6, 2) if ordered else 0.0,
    }


def summarize(options: dict[str, Any], held: int, ready: list[dict[str, Any]], setup_s: float,
              visitor_results: list[dict[str, Any]], agent_result: dict[str, Any], *,
              server_cpu_s: float, wall_s: float, rss_mb: float) -> dict[str, Any]:  # fmt: skip
    sent = {cid: due for r in visitor_results for cid, due in r["sent"].items()}
    acks = {cid: at for r in visitor_results for cid, at in r["acks"].items()}
    replies = {cid: at for r in visitor_results for cid, at in r["replies"].items()}
    seen, replied = agent_result["seen"], agent_result["replied"]
    ack_lat = [acks[c] - sent[c] for c in acks]
    agent_lat = [seen[c] - sent[c] for c in seen if c in sent]
    reply_lat = [replies["a" + c] - replied[c] for c in replied if "a" + c in replies]
    first_due, last_due = (min(sent.values()), max(sent.values())) if sent else (0, 0)
    span_s = max((last_due - first_due) / 1e9, 1e-9)
    in_time = [at for at in acks.values() if at <= last_due + 1_000_000_000]
    return {
        "visitors": options["visitors"], "held": held, "agents": options["agents"],
        "rate": options["rate"], "seconds": options["seconds"],
        "setup_s": round(setup_s, 1), "setup_failed": sum(r["failed"] for r in ready),
        "setup_failures": [f for r in ready for f in r["failures"]][:3],
        "sent": len(sent), "acked": len(acks), "agent_saw": len(agent_lat),
        "answered": len(reply_lat),
        "acked_per_s": round(len(in_time) / (span_s + 1), 1),
        "sent_per_s": round(len(sent) / span_s, 1),
        "duplicates": agent_result["duplicates"] + sum(r["duplicate_replies"]
                                                       for r in visitor_results),
        "errors": sum(r["error_count"] for r in visitor_results) + agent_result["error_count"],
        "error_samples": ([e for r in visitor_results for e in r["errors"]]
                          + agent_result["errors"])[:3],
        "open_at_end": sum(r["open"] for r in visitor_results),
        "agents_open_at_end": agent_result["open"],
        "workspace_frames": agent_result["workspace_frames"],
        "ack": _stats(ack_lat), "to_agent": _stats(agent_lat), "reply": _stats(reply_lat),
        "server_cpu_pct": round(100 * server_cpu_s / wall_s, 1), "server_rss_mb": round(rss_mb),
        "client_cpu_pct": round(100 * (sum(r["cpu_s"] for r in visitor_results)
                                       + agent_result["cpu_s"]) / wall_s, 1),
        "client_late_p99_ms": max(r["late_p99_ms"] for r in visitor_results),
    }  # fmt: skip


def _row(name: str, stats: dict[str, float]) -> list[str]:
    return [name, str(stats["n"])] + [
        f"{stats[key]:.1f}" for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    ]


def report(f: dict[str, Any]) -> str:
    header = ["path", "lines", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        _row(name, f[key])
        for name, key in [("visitor send -> ack", "ack"), ("visitor send -> agent", "to_agent"),
                          ("agent reply -> visitor", "reply")]
    ]  # fmt: skip
    timeline = f.get("timeline")
    if timeline:
        rows.append(_row("line stored -> on its case", timeline["lag"]))
    title = (
        f"chat on {f['db']}: {f['held']}/{f['visitors']} visitors held, {f['agents']} agents, "
        f"{f['rate']} lines/s for {f['seconds']} s (setup {f['setup_s']} s)"
    )
    tail = (
        f"  sent {f['sent']} ({f['sent_per_s']}/s), acked {f['acked']} ({f['acked_per_s']}/s), "
        f"agents saw {f['agent_saw']}, answered {f['answered']}; duplicates {f['duplicates']}, "
        f"errors {f['errors']}\n"
        f"  workspace cues to the agents' consoles: {f['workspace_frames']} frames\n"
        f"  open at the end: {f['open_at_end']} visitors, {f['agents_open_at_end']} agents; "
        f"server CPU {f['server_cpu_pct']} %, RSS {f['server_rss_mb']} MB; clients CPU "
        f"{f['client_cpu_pct']} % (sends late by p99 {f['client_late_p99_ms']:.1f} ms)"
    )
    if timeline:
        caught_up = timeline["caught_up_s"]
        tail += (
            f"\n  timelines: {timeline['on_case_at_drain']} of {timeline['lines']} lines on their "
            f"case when the drain ended, "
            + (f"all {caught_up} s later" if caught_up is not None
               else f"{timeline['on_case']} after {CATCH_UP_S:.0f} s more")
        )  # fmt: skip
    return title + "\n" + render_table(header, rows) + "\n" + tail
