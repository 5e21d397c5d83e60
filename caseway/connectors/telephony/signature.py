"""X-Twilio-Signature, checked exactly the way Twilio signs (the `twilio` library's
RequestValidator): HMAC-SHA1 with the auth token over the full URL Twilio called followed by
the sorted POST parameters.

Twilio signs the public URL it was given, which behind a proxy is not the one Django sees:
the URL is rebuilt from settings.TWILIO_WEBHOOK_BASE_URL (default SITE_URL) and the path
and query of the request.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]  # no stubs

from caseway.connectors.exceptions import BadSignature

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(path: str) -> str:
    """The URL Twilio is given for one of our paths (webhooks, callbacks)."""
    return str(settings.TWILIO_WEBHOOK_BASE_URL).rstrip("/") + path


def webhook_url(request: HttpRequest) -> str:
    """The URL Twilio called, as Twilio saw it (path and query included)."""
    return public_url(request.get_full_path())


def is_enabled() -> bool:
    return bool(settings.TWILIO_AUTH_TOKEN)


def sign(url: str, params: Mapping[str, str | list[str]]) -> str:
    """The signature Twilio would send for a POST of `params` to `url` (tests, benchmarks)."""
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return str(validator.compute_signature(url, params))


def verify(request: HttpRequest) -> None:
    """Raise BadSignature unless the request carries Twilio's signature of its URL and form."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature or not is_enabled():
        raise BadSignature("missing X-Twilio-Signature")
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    if not validator.validate(webhook_url(request), request.POST, signature):
        raise BadSignature("X-Twilio-Signature does not match")
