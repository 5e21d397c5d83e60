import asyncio
import time

import pytest

from caseway.core.channel_layer import ThrottledInMemoryChannelLayer


def test_messages_still_expire_once_the_sweep_runs(monkeypatch):
    async def scenario():
        layer = ThrottledInMemoryChannelLayer(expiry=1, clean_interval=60)
        await layer.group_add("chat", "visitor.one")
        await layer.group_send("chat", {"type": "chat.poke"})
        clock = {"now": 1_000.0}
        later = time.time() + 10  # the message is 9 s past its expiry
        monkeypatch.setattr("caseway.core.channel_layer.time.monotonic", lambda: clock["now"])
        monkeypatch.setattr("channels.layers.time.time", lambda: later)
        layer._next_clean = clock["now"] + 30  # swept a moment ago
        layer._clean_expired()
        assert "visitor.one" in layer.channels  # not yet: the sweep waits its interval
        clock["now"] += 31
        layer._clean_expired()
        assert "visitor.one" not in layer.channels
        assert "visitor.one" not in layer.groups.get("chat", {})

    asyncio.run(scenario())


@pytest.mark.parametrize("count", [3])
def test_it_delivers_like_the_layer_it_extends(count):
    async def scenario():
        layer = ThrottledInMemoryChannelLayer()
        for n in range(count):
            await layer.group_add("case.CW-1", f"agent.{n}")
        await layer.group_send("case.CW-1", {"type": "chat.poke", "session": 7})
        return [await layer.receive(f"agent.{n}") for n in range(count)]

    assert asyncio.run(scenario()) == [{"type": "chat.poke", "session": 7}] * 3
