"""Pushes from a process with no ASGI server (a `caseway worker`, a command) on the Redis
layer: they go out in order from one loop of the process's own, and those not yet sent when
the process ends are sent before it does."""

import asyncio
import threading

import pytest

from caseway.connectors import chat
from caseway.livechat.tests.servers import require_redis


@pytest.fixture
def redis_layer(settings):
    require_redis()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/14"], "prefix": "asgi.push-test."},
        }
    }


def listen(group: str, count: int, ready: threading.Event, heard: list) -> None:
    """In a thread with its own loop and layer connection: subscribe, then take `count`."""
    from channels.layers import get_channel_layer

    async def run():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        ready.set()
        for _ in range(count):
            heard.append(await asyncio.wait_for(layer.receive(channel), timeout=10))
        await layer.flush()

    asyncio.run(run())


def test_pushes_without_a_server_go_in_order_from_one_loop_and_all_before_exit(redis_layer):
    ready, heard = threading.Event(), []
    listener = threading.Thread(target=listen, args=("push-test", 20, ready, heard))
    listener.start()
    assert ready.wait(10)

    for n in range(20):
        chat.push("push-test", {"type": "cue", "n": n}, wait=False)
    chat._finish_pushes()  # what the process does at exit
    listener.join(15)

    assert [m["n"] for m in heard] == list(range(20))
    loops = [t for t in threading.enumerate() if t.name == "caseway-push-loop"]
    assert len(loops) == 1
