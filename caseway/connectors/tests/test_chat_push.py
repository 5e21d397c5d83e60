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


@pytest.mark.anyio
async def test_pushes_folded_by_a_block_go_as_one_message_per_group():
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("fold-a", first)
    await layer.group_add("fold-b", second)

    def cues():
        with chat.pushes_folded():
            for n in range(3):
                chat.push("fold-a", {"type": "cue", "n": n}, wait=False)
            with chat.pushes_folded():  # nested: the outer block sends
                chat.push("fold-b", {"type": "cue", "n": 9}, wait=False)

    await sync_to_async(cues)()
    batch = await asyncio.wait_for(layer.receive(first), timeout=5)
    assert batch == {"type": chat.BATCH_TYPE, "events": [{"type": "cue", "n": n} for n in range(3)]}
    assert await asyncio.wait_for(layer.receive(second), timeout=5) == {"type": "cue", "n": 9}
    await layer.group_discard("fold-a", first)
    await layer.group_discard("fold-b", second)


@pytest.mark.anyio
@pytest.mark.parametrize("layer_kind", ["redis", "memory"])
async def test_many_cues_sent_at_once_reach_their_groups_in_order(settings, layer_kind):
    from channels.layers import get_channel_layer

    from caseway.core.channel_layer import group_send_many

    if layer_kind == "redis":
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": ["redis://127.0.0.1:6379/14"], "prefix": "asgi.many-test."},
            }
        }
        require_redis()
    layer = get_channel_layer()
    assert ("RedisPubSub" in type(layer).__name__) == (layer_kind == "redis")
    channels = [await layer.new_channel() for _ in range(3)]
    for n, channel in enumerate(channels):
        await layer.group_add(f"many-{n}", channel)
    messages = [(f"many-{n % 3}", {"type": "cue", "n": n}) for n in range(9)]

    await group_send_many(layer, messages)

    for k, channel in enumerate(channels):
        heard = [await asyncio.wait_for(layer.receive(channel), timeout=5) for _ in range(3)]
        assert [m["n"] for m in heard] == [k, k + 3, k + 6]
    await layer.flush()
