"""ASGI entry point: Django over HTTP, live chat's websockets under /ws/."""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseway.config.settings")

# Set up Django before importing anything that touches models (the consumers).
django_application = get_asgi_application()

from caseway.livechat.routing import websocket_application  # noqa: E402
from caseway.workspace.live_consumer import WorkspaceAgentConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_application, "websocket": websocket_application(WorkspaceAgentConsumer)}
)
