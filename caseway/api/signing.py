"""How Caseway signs what it POSTs to webhooks and the push gateway, and how a receiver checks it.

    Caseway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>

The timestamp is inside the signed text, so an old delivery cannot be sent again with a fresh
time; a receiver refuses timestamps older than its tolerance and drops a body `id` it has seen
(every retry of one event carries the same id, signed anew).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Caseway-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureMismatch(Exception):
    """The signature header is missing, malformed, stale or does not match the body."""


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the Caseway-Signature header for `body`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(
    *,
    secret: str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a Caseway-Signature header the way a receiver should; return its timestamp."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureMismatch("no timestamp") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureMismatch("timestamp outside the tolerance")
    expected = sign(secret=secret, body=body, timestamp=timestamp).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureMismatch("signature does not match")
    return timestamp
