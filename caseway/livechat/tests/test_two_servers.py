"""The Redis channel layer across two real server processes: the visitor talks to one
uvicorn, the agent to another, both on one database and the Redis at 127.0.0.1:6379."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

websockets = pytest.importorskip("websockets.asyncio.client")

pytestmark = pytest.mark.anyio
REDIS = ("127.0.0.1", 6379)

SETUP = """
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from caseway.cases.models import Queue
from caseway.customers.models import Contact
from caseway.routing.models import AgentProfile, Presence, QueueRouting, RoutingRule, WorkKind
from django.contrib.auth import get_user_model
queue = Queue.objects.create(name="Chat", slug="chat")
QueueRouting.objects.create(queue=queue, work_kind=WorkKind.CHAT)
RoutingRule.objects.create(name="Chats", order=1, channels=["chat"], queue=queue)
user = get_user_model().objects.create_user(
    "cleo", password="x" * 12, is_staff=True, first_name="Cleo"
)
queue.members.add(user)
from caseway.routing.presence import set_presence
set_presence(agent=user, presence=Presence.AVAILABLE)
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print("SESSION=" + store.session_key)
"""


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server on {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server on {port} did not start")


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def two_servers(tmp_path: Path):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/11",
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "SECRET_KEY": "two-servers-test",
        "CASEWAY_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "-m", "caseway"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    out = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
    ).stdout
    session_key = out.strip().rsplit("SESSION=", 1)[1]
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "caseway.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_for(port, process)
        yield ports, session_key
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


async def _until(ws, predicate, limit=30):
    for _ in range(limit):
        import asyncio

        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if predicate(message):
            return message
    raise AssertionError("nothing matched")


async def test_visitor_and_agent_on_different_servers_talk_through_redis(two_servers):
    (visitor_port, agent_port), session_key = two_servers
    connect = websockets.connect
    async with (
        connect(
            f"ws://127.0.0.1:{agent_port}/ws/agent/",
            origin=f"http://127.0.0.1:{agent_port}",
            additional_headers={"Cookie": f"sessionid={session_key}"},
        ) as agent,
        connect(
            f"ws://127.0.0.1:{visitor_port}/ws/chat/", origin=f"http://127.0.0.1:{visitor_port}"
        ) as visitor,
    ):
        await visitor.send(json.dumps(
            {"type": "start", "name": "Vic", "email": "vic@example.test", "question": "Hello?"}
        ))  # fmt: skip
        await _until(visitor, lambda m: m.get("role") == "bot")
        await visitor.send(json.dumps({"type": "person"}))
        # The offer is made on the visitor's server; the agent hears it on theirs.
        offer = await _until(agent, lambda m: m["type"] == "chat")
        assert offer["is_offer"]
        session = offer["session"]
        await agent.send(json.dumps({"type": "accept", "session": session}))
        await _until(visitor, lambda m: "joined the chat" in m.get("text", ""))
        await agent.send(json.dumps(
            {"type": "message", "session": session, "client_id": "a1", "text": "Hi Vic"}
        ))  # fmt: skip
        line = await _until(visitor, lambda m: m.get("role") == "agent")
        assert line["text"] == "Hi Vic"
        await visitor.send(json.dumps({"type": "message", "client_id": "v1", "text": "Hi!"}))
        line = await _until(agent, lambda m: m.get("client_id") == "v1")
        assert line["role"] == "visitor"
