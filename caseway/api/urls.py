"""The API object mounted at /api/v1/ (see caseway.config.urls)."""

from ninja import NinjaAPI

from caseway.api.auth import session_auth, token_auth
from caseway.api.endpoints import (
    assist,
    auth,
    case_actions,
    cases,
    devices,
    feed,
    files,
    kb,
    queues,
    routing,
    webhooks,
)
from caseway.api.errors import register_error_handlers

api = NinjaAPI(
    title="Caseway API",
    version="1",
    description=(
        "Customers (their own app or a kiosk) open cases and follow them; agents work them. "
        "Authenticate with `Authorization: Bearer <token>` (POST /auth/token) or, in the "
        "browser, the Django session (unsafe methods need the CSRF token)."
    ),
    docs_url="docs",
    auth=[token_auth, session_auth],
)
register_error_handlers(api)
api.add_router("/auth", auth.router)
api.add_router("/cases", files.router)
api.add_router("/cases", cases.router)
api.add_router("/cases", case_actions.router)
api.add_router("/queues", queues.router)
api.add_router("/routing", routing.router)
api.add_router("/kb", kb.router)
api.add_router("/assist", assist.router)
api.add_router("/devices", devices.router)
api.add_router("/feed", feed.router)
api.add_router("/webhooks", webhooks.router)
