"""With the Redis channel layer, a cue pushed by another process (the worker's SLA sweep)
reaches an agent connected to a real uvicorn server at once: the connection's own check is
switched off (an hour), so only the push can deliver it."""

import asyncio
import json
import sys
from pathlib import Path

import pytest

from caseway.livechat.tests.servers import prepare, require_redis, server_env, uvicorn_servers

websockets = pytest.importorskip("websockets.asyncio.client")

pytestmark = pytest.mark.anyio

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from caseway.cases.queries import default_queue
from caseway.connectors.messages import InboundMessage, Sender
from caseway.intake.services import receive
user = get_user_model().objects.create_user("ada", password="x" * 12, is_staff=True)
default_queue().members.add(user)
case = receive(InboundMessage(
    channel="email", provider_id="<redis-1@mail.test>",
    sender=Sender(kind="email", address="carol@globex.test", name="Carol"),
    subject="Printer on fire", text="It is on fire.",
)).case
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(f"SESSION={store.session_key} CASE={case.pk}")
"""

SWEEP = """
from datetime import timedelta
from django.utils import timezone
from caseway.sla.escalation import fire_due_sla_actions
print(fire_due_sla_actions(now=timezone.now() + timedelta(days=30)))
"""


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def server(tmp_path: Path):
    require_redis()
    env = server_env(tmp_path, redis_db=12, name="live-redis", WORKSPACE_LIVE_INTERVAL="3600")
    out = prepare(env, SETUP)
    fields = dict(part.split("=", 1) for part in out.strip().splitlines()[-1].split())
    with uvicorn_servers(env) as (port,):
        yield port, fields["SESSION"], int(fields["CASE"]), env


async def _until(ws, predicate, limit=30):
    for _ in range(limit):
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if predicate(message):
            return message
    raise AssertionError("nothing matched")


async def test_a_sweep_in_another_process_reaches_the_page_through_redis(server):
    port, session_key, case_id, env = server
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/agent/?chat=0",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"sessionid={session_key}"},
    ) as ws:
        await _until(ws, lambda m: m.get("cue") == "ready")
        sweep = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "caseway", "shell", "-c", SWEEP, env=env,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await sweep.communicate()
        assert sweep.returncode == 0 and int(out.decode().strip().splitlines()[-1]) >= 1
        cue = await _until(ws, lambda m: m.get("cue") == "sla" and m.get("case") == case_id)
        assert cue["moment"] == "breach"
