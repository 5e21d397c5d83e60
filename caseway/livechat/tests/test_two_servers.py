"""The Redis channel layer across two real server processes: the visitor talks to one
uvicorn, the agent to another, both on one database and the Redis at 127.0.0.1:6379."""

import json
from pathlib import Path

import pytest

from caseway.livechat.tests.servers import prepare, require_redis, server_env, uvicorn_servers

websockets = pytest.importorskip("websockets.asyncio.client")

pytestmark = pytest.mark.anyio

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


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(params=[("pubsub", 11), ("core", 13)], ids=lambda p: p[0])
def two_servers(tmp_path: Path, request):
    """Both of channels-redis' layers (settings.REDIS_CHANNEL_LAYER), each on its own
    Redis database."""
    require_redis()
    layer, redis_db = request.param
    env = server_env(tmp_path, redis_db=redis_db, name="two-servers", REDIS_CHANNEL_LAYER=layer)
    session_key = prepare(env, SETUP).strip().rsplit("SESSION=", 1)[1]
    with uvicorn_servers(env, count=2) as ports:
        yield ports, session_key


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
