"""The websocket clients of `caseway bench chat`, one OS process each: `agents` (every agent's
chat console on /ws/agent/, accepting offers and answering every visitor line) or `visitors`
(a slice of the visitors on /ws/chat/: start, ask for a person, then paced messages).

No Django here: plain `websockets` clients that speak the chat protocol of docs/chat.md. A
process talks to the benchmark over its standard streams, one JSON object a line: it prints
{"ready": ...} once set up (visitors first read {"tokens": [...]}: the chats to resume,
none to start their own), waits for {"go": <CLOCK_MONOTONIC ns>, ...} (visitors) or
{"stop": true} (agents; {"chats": N} first: answer once the consoles show N chats) on stdin
and prints its figures as the last line. Times are
time.monotonic_ns(), CLOCK_MONOTONIC, one clock for every process of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

SETUP_CONCURRENCY = 24  # visitors starting and handing off at once, per process
OPEN_TIMEOUT_S = 120


def raise_fd_limit() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def read_command() -> dict[str, Any]:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else {"stop": True}


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# Agents ------------------------------------------------------------------------------------


class Agent:
    def __init__(self, ws: ClientConnection, stats: AgentStats):
        self.ws, self.stats = ws, stats

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                await self.on_message(json.loads(raw))
        except ConnectionClosed:
            pass

    async def on_message(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "chat":
            if msg.get("is_offer") and not msg.get("is_mine"):
                await self.ws.send(json.dumps({"type": "accept", "session": msg["session"]}))
            elif msg.get("is_mine"):
                self.stats.accepted.add(msg["session"])
        elif kind == "line" and msg.get("role") == "visitor":
            client_id = msg.get("client_id", "")
            if not client_id.startswith("v"):
                return  # the pre-chat question, said before the handoff
            now = time.monotonic_ns()
            if client_id in self.stats.seen:
                self.stats.duplicates += 1
                return
            self.stats.seen[client_id] = now
            reply = {"type": "message", "session": msg["session"], "client_id": "a" + client_id,
                     "text": f"Thanks, noted ({client_id})."}  # fmt: skip
            self.stats.replied[client_id] = time.monotonic_ns()
            await self.ws.send(json.dumps(reply))
        elif kind == "workspace":
            self.stats.workspace_frames += 1
        elif kind == "error":
            self.stats.errors.append(str(msg.get("message", ""))[:200])


class AgentStats:
    def __init__(self) -> None:
        self.accepted: set[int] = set()
        self.seen: dict[str, int] = {}  # visitor client id -> when an agent saw its line
        self.replied: dict[str, int] = {}  # visitor client id -> when the answer was sent
        self.duplicates = 0
        self.workspace_frames = 0  # the workspace's cues the consoles got (live_consumer)
        self.errors: list[str] = []


async def run_agents(url: str, origin: str, cookies: list[str]) -> None:
    stats = AgentStats()
    sockets = []
    for cookie in cookies:
        ws = await connect(
            f"{url}/ws/agent/", origin=origin, additional_headers={"Cookie": cookie},  # type: ignore[arg-type]
            open_timeout=OPEN_TIMEOUT_S, ping_interval=None, max_queue=None,
        )  # fmt: skip
        sockets.append(ws)
    tasks = [asyncio.create_task(Agent(ws, stats).run()) for ws in sockets]
    emit({"ready": len(sockets)})
    cpu_before, frames_before = None, 0
    while True:
        command = await read_command()
        if command.get("mark"):
            cpu_before, frames_before = cpu_s(), stats.workspace_frames
            continue
        if "chats" in command:
            # Every console shows its chats before the timed phase (a console that connects
            # reads each of its chats: a hundred at the default size), not during it.
            deadline = time.monotonic() + OPEN_TIMEOUT_S * 5
            while len(stats.accepted) < command["chats"] and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            emit({"chats": len(stats.accepted)})
            continue
        break
    cpu_used = cpu_s() - (cpu_before or 0.0)
    workspace_frames = stats.workspace_frames - frames_before
    open_count = sum(1 for ws in sockets if ws.close_code is None)
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    emit({
        "agents": len(sockets), "open": open_count, "accepted": len(stats.accepted),
        "seen": stats.seen, "replied": stats.replied, "duplicates": stats.duplicates,
        "errors": stats.errors[:20], "error_count": len(stats.errors), "cpu_s": cpu_used,
        "workspace_frames": workspace_frames,
    })  # fmt: skip


# Visitors ----------------------------------------------------------------------------------


class Visitor:
    def __init__(self, index: int, ws: ClientConnection):
        self.index, self.ws = index, ws
        self.state = ""
        self.active = asyncio.Event()
        self.acks: dict[str, int] = {}
        self.replies: dict[str, int] = {}  # agent line's client id -> when it arrived
        self.duplicate_replies = 0
        self.errors: list[str] = []

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                kind = msg.get("type")
                now = time.monotonic_ns()
                if kind == "ack":
                    self.acks.setdefault(msg.get("client_id", ""), now)
                elif kind == "line" and msg.get("role") == "agent":
                    client_id = msg.get("client_id", "")
                    if client_id in self.replies:
                        self.duplicate_replies += 1
                    else:
                        self.replies[client_id] = now
                elif kind == "state":
                    self.state = msg.get("state", "")
                    if self.state == "active":
                        self.active.set()
                elif kind == "error":
                    self.errors.append(str(msg.get("message", ""))[:200])
        except ConnectionClosed:
            pass


async def open_visitor(index: int, url: str, origin: str, gate: asyncio.Semaphore,
                       token: str = "") -> Visitor:  # fmt: skip
    """Start a chat and ask for a person, or with `token` resume one an agent holds."""
    async with gate:
        ws = await connect(
            f"{url}/ws/chat/", origin=origin, open_timeout=OPEN_TIMEOUT_S,  # type: ignore[arg-type]
            ping_interval=None, max_queue=None,
        )  # fmt: skip
        visitor = Visitor(index, ws)
        visitor.task = asyncio.create_task(visitor.run())  # type: ignore[attr-defined]
        if token:
            await ws.send(json.dumps({"type": "resume", "token": token, "cursor": 0}))
            await asyncio.wait_for(visitor.active.wait(), timeout=OPEN_TIMEOUT_S)
            return visitor
        await ws.send(json.dumps({
            "type": "start", "name": f"Visitor {index}", "email": f"visitor{index}@bench.test",
            "question": "Can I talk to someone about my order, please?",
        }))  # fmt: skip
        await ws.send(json.dumps({"type": "person"}))
        await asyncio.wait_for(visitor.active.wait(), timeout=OPEN_TIMEOUT_S)
        return visitor


async def run_visitors(url: str, origin: str, first: int, count: int, tokens: list[str]) -> None:
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    started = time.monotonic()
    results = await asyncio.gather(
        *(
            open_visitor(first + n, url, origin, gate, tokens[n] if tokens else "")
            for n in range(count)
        ),
        return_exceptions=True,
    )
    visitors = [v for v in results if isinstance(v, Visitor)]
    failures = [repr(e)[:200] for e in results if not isinstance(e, Visitor)]
    emit({"ready": len(visitors), "failed": len(failures), "failures": failures[:5],
          "setup_s": round(time.monotonic() - started, 1)})  # fmt: skip
    command = await read_command()
    if command.get("stop"):
        return
    t0, rate, seconds = int(command["go"]), float(command["rate"]), float(command["seconds"])
    offset = int(command.get("offset", 0))
    sent: dict[str, int] = {}  # client id -> the time it was due (open loop)
    late_ns: list[int] = []
    cpu_before = cpu_s()
    total = int(rate * seconds)
    interval_ns = 1e9 / rate
    for n in range(total):
        due = t0 + offset + int(n * interval_ns)
        delay = (due - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        visitor = visitors[n % len(visitors)]
        client_id = f"v{visitor.index}-{n}"
        sent[client_id] = due
        late_ns.append(time.monotonic_ns() - due)
        with contextlib.suppress(ConnectionClosed):
            await visitor.ws.send(json.dumps(
                {"type": "message", "text": f"Line {n} from visitor {visitor.index}",
                 "client_id": client_id}
            ))  # fmt: skip
    sending_cpu = cpu_s() - cpu_before
    # Let the answers come in (the benchmark decides when to stop).
    await read_command()
    cpu_used = cpu_s() - cpu_before
    open_count = sum(1 for v in visitors if v.ws.close_code is None)
    acks = {cid: v.acks[cid] for v in visitors for cid in v.acks if cid in sent}
    replies = {cid: at for v in visitors for cid, at in v.replies.items()}
    errors = [e for v in visitors for e in v.errors]
    emit({
        "visitors": len(visitors), "open": open_count, "sent": sent, "acks": acks,
        "replies": replies, "duplicate_replies": sum(v.duplicate_replies for v in visitors),
        "errors": errors[:20], "error_count": len(errors), "cpu_s": cpu_used,
        "send_cpu_s": sending_cpu, "late_p99_ms": _p99(late_ns) / 1e6,
    })  # fmt: skip
    for v in visitors:
        await v.ws.close()


def _p99(values: list[int]) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["agents", "visitors"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    args = parser.parse_args()
    raise_fd_limit()
    if args.role == "agents":
        cookies = json.loads(sys.stdin.readline())
        asyncio.run(run_agents(args.url, args.origin, cookies))
    else:
        tokens = json.loads(sys.stdin.readline())["tokens"]
        asyncio.run(run_visitors(args.url, args.origin, args.first, args.count, tokens))


if __name__ == "__main__":
    main()
