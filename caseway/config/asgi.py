"""ASGI entry point: Django over HTTP (websockets join under /ws/ with live chat)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseway.config.settings")

application = get_asgi_application()
