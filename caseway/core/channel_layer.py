"""The in-process channel layer of the embedded default (no REDIS_URL).

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
