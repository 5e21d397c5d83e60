"""The real ASGI application (HTTP, static files, websockets) under uvicorn in a thread, as
`caseway run` serves it, for the journeys that need websockets."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(websocket: Any) -> Iterator[str]:
    """Serve HTTP and `websocket` (an ASGI app) on a free port; yield the base URL."""
    app = ProtocolTypeRouter(
        {"http": ASGIStaticFilesHandler(get_asgi_application()), "websocket": websocket}
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    # The first request imports the URL conf and its views (seconds on a busy machine).
    urllib.request.urlopen(f"{url}/agent/login/", timeout=120).close()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
