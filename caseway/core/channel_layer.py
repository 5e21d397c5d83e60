"""The in-process channel layer of the embedded default (no REDIS_URL), and many cues sent
at once on any layer (group_send_many).

channels' InMemoryChannelLayer walks every channel and every group membership to drop
expired messages on each receive() and group_send(). With one websocket per visitor that is
thousands of entries walked for every line said (a quarter of the event loop's time at 200
visitors under `caseway bench chat`, and it grows with every connection). Here the walk runs
at most once per `clean_interval` seconds: a message still expires, at most that much later
than its `expiry` (60 s), and nothing else changes. channels itself calls its layer fit for
tests only; Caseway's one-process default relies on it, so this is what makes it hold up.
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer  # type: ignore[import-untyped]


class ThrottledInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, clean_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clean_interval = clean_interval
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + self.clean_interval
        super()._clean_expired()  # type: ignore[misc]


async def group_send_many(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """group_send of each (group, message), in order. On channels-redis' pub/sub layer every
    PUBLISH waits for its answer under the connection's lock, one round trip each, and the
    line writer's batch has a cue for each of its chats (two hundred at a time under load):
    here they go in one pipeline per Redis shard, one round trip, in the same order. Any
    other layer, or a channels-redis whose internals are not those of the pinned version:
    one group_send after the other."""
    if isinstance(layer, RedisPubSubChannelLayer):
        try:
            inner = layer._get_layer()
            shards: dict[Any, list[tuple[str, bytes]]] = {}
            for group, message in messages:
                channel = inner._get_group_channel_name(group)
                shards.setdefault(inner._get_shard(channel), []).append(
                    (channel, layer.serialize(message))
                )
            publish = [(shard, shard._lock, shard._ensure_redis) for shard in shards]
        except AttributeError:
            pass
        else:
            for shard, lock, ensure_redis in publish:
                async with lock:
                    ensure_redis()
                    async with shard._redis.pipeline(transaction=False) as pipe:
                        for channel, data in shards[shard]:
                            pipe.publish(channel, data)
                        await pipe.execute()
            return
    for group, message in messages:
        await layer.group_send(group, message)
