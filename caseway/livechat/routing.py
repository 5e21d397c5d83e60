"""Websocket routes under /ws/ and the Origin check in front of them.

Import after django.setup() (asgi.py calls get_asgi_application() first).
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from caseway.livechat.agent_consumer import AgentConsumer
from caseway.livechat.consumers import VisitorConsumer
from caseway.livechat.origins import is_allowed_origin

WIDGET_PATH = "/ws/chat/"


class OriginCheck:
    """Refuse a websocket whose Origin is not allowed (403 before the consumer runs): the
    widget's from this site or CHAT_ALLOWED_ORIGINS, everything else from this site only.
    The settings are read per connection, so tests and admins may change them."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            origin = dict(scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
            if not is_allowed_origin(origin, for_widget=scope["path"] == WIDGET_PATH):
                await send({"type": "websocket.close", "code": 403})
                return None
        return await self.app(scope, receive, send)


def websocket_urlpatterns(agent_consumer: type[AgentConsumer] = AgentConsumer) -> list[Any]:
    return [
        path("ws/chat/", VisitorConsumer.as_asgi()),  # type: ignore[arg-type]
        path("ws/agent/", agent_consumer.as_asgi()),  # type: ignore[arg-type]
    ]


def websocket_application(agent_consumer: type[AgentConsumer] = AgentConsumer) -> Any:
    """The websocket routes; `agent_consumer` serves /ws/agent/ (config passes the
    workspace's, which adds the workspace's live cues to the chat console's protocol)."""
    routes = URLRouter(websocket_urlpatterns(agent_consumer))
    return OriginCheck(AuthMiddlewareStack(routes))
