"""Which page origins may open the visitor's websocket and post files: this site's own
hosts and CHAT_ALLOWED_ORIGINS (the sites the widget is pasted into)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host


def is_allowed_origin(origin: str, *, for_widget: bool) -> bool:
    """True for an origin of this site (ALLOWED_HOSTS, SITE_URL) and, for the widget, one
    listed in CASEWAY_CHAT_ALLOWED_ORIGINS ("*" lets every site in). No origin: refused."""
    origin = origin.strip().rstrip("/")
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if for_widget:
        allowed = [o.rstrip("/") for o in settings.CASEWAY_CHAT_ALLOWED_ORIGINS]
        if "*" in allowed or origin in allowed:
            return True
    site = urlsplit(settings.SITE_URL)
    if f"{parts.scheme}://{parts.netloc}" == f"{site.scheme}://{site.netloc}":
        return True
    return validate_host(parts.hostname, settings.ALLOWED_HOSTS)
