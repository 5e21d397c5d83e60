"""What the Facebook and X adapters share on the wire: signatures, JSON bodies, API calls.

Provider ids carry a prefix naming what they are ("mid:", "comment:", "post:", "dm:",
"tweet:"), because one provider numbers direct messages and posts separately and because a
reply goes back the way it came (a direct message, or a public comment or reply tweet).
What we send is stored with "sent-" in front ("sent-comment:123") so a customer's answer to
our reply threads (they quote its id) while a reply of ours never answers our own message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from caseway.connectors.exceptions import BadSignature, ConnectorError, PayloadRejected
from caseway.connectors.messages import InboundMessage

SENT_PREFIX = "sent-"
# Seconds an API call may take before the reply counts as failed (the task may be retried).
API_TIMEOUT = 15.0


@dataclass(frozen=True)
class SocialEvent:
    """One thing a social webhook delivery carried.

    kind is "private" (a direct message: a conversation, like chat), "public" (a post or a
    comment: for social listening) or "ignored" (our own echo, an edit, a delete, a like);
    message is set for the first two.
    """

    kind: str
    message: InboundMessage | None = None
    reason: str = ""


def hmac_sha256(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def check_signature(header: str, *, expected: str) -> None:
    """Compare a signature header with the one we computed, in constant time."""
    if not header or not hmac.compare_digest(header.strip().encode(), expected.encode()):
        raise BadSignature("the signature does not match the body")


def hex_signature(secret: str, body: bytes) -> str:
    """ "sha256=<hex>", as Facebook signs X-Hub-Signature-256."""
    return "sha256=" + hmac_sha256(secret, body).hex()


def base64_signature(secret: str, data: bytes) -> str:
    """ "sha256=<base64>", as X signs webhooks and answers the CRC challenge."""
    return "sha256=" + base64.b64encode(hmac_sha256(secret, data)).decode()


def json_object(body: bytes) -> dict[str, Any]:
    """Parse a webhook body that must be one JSON object (PayloadRejected otherwise)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadRejected(f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadRejected("the body is not a JSON object")
    return data


def as_list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadRejected(f"{what} is not a list")
    return value


def as_dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadRejected(f"{what} is not an object")
    return value


def dict_or_empty(value: object) -> dict[str, Any]:
    """An optional object: itself when it is one, else empty."""
    return value if isinstance(value, dict) else {}


def text_of(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise PayloadRejected(f"{what} is not a string")
    return str(value)


def latest_inbound(in_reply_to: tuple[str, ...]) -> str:
    """The most recent provider id of the customer's (deliver_reply lists newest first)."""
    for provider_id in in_reply_to:
        if not provider_id.startswith(SENT_PREFIX):
            return provider_id
    return ""


def post_json(url: str, *, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a JSON body with a bearer token; the JSON answer, or ConnectorError."""
    request = urllib.request.Request(  # noqa: S310 (the base URL is a setting, http(s) only)
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    if not url.startswith(("http://", "https://")):
        raise ConnectorError(f"refusing to call {url!r}: not an http(s) URL")
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT) as response:  # noqa: S310
            answer = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode(errors="replace")
        raise ConnectorError(f"{url} answered {exc.code}: {detail}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ConnectorError(f"{url} could not be reached: {exc}") from exc
    try:
        data = json.loads(answer or b"{}")
    except ValueError as exc:
        raise ConnectorError(f"{url} answered something that is not JSON") from exc
    return data if isinstance(data, dict) else {}
