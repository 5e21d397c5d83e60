"""Twilio's REST API, as far as Caseway uses it: create a message, fetch a message's media.

The base URL is settings.TWILIO_API_BASE_URL (tests point it at a local server that speaks
the same API). Basic auth with the account SID and auth token; form-encoded requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from caseway.connectors.exceptions import ConnectorError

# Twilio's error for a recipient who replied STOP to our number.
UNSUBSCRIBED_RECIPIENT = 21610


class TwilioApiError(ConnectorError):
    def __init__(self, message: str, *, code: int | None = None, status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CreatedMessage:
    sid: str
    status: str


def _auth() -> tuple[str, str]:
    return (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)


def _timeout() -> float:
    return float(settings.TWILIO_HTTP_TIMEOUT)


def create_message(*, to: str, body: str, status_callback: str = "") -> CreatedMessage:
    """POST /2010-04-01/Accounts/{sid}/Messages.json; raise TwilioApiError on refusal."""
    if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
        raise ConnectorError("SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
    form: dict[str, str] = {"To": to, "Body": body}
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        form["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
    elif settings.TWILIO_SMS_FROM:
        form["From"] = settings.TWILIO_SMS_FROM
    else:
        raise ConnectorError("SMS is not configured (TWILIO_SMS_FROM)")
    if status_callback:
        form["StatusCallback"] = status_callback
    base = str(settings.TWILIO_API_BASE_URL).rstrip("/")
    url = f"{base}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    try:
        response = requests.post(url, data=form, auth=_auth(), timeout=_timeout())
    except requests.RequestException as exc:
        raise TwilioApiError(f"Twilio could not be reached: {exc}") from exc
    payload = _json(response)
    if response.status_code >= 400:
        code = payload.get("code")
        raise TwilioApiError(
            f"Twilio refused the message ({response.status_code}"
            f"{f', error {code}' if code else ''}): {payload.get('message', response.reason)}",
            code=int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
            status=response.status_code,
        )
    sid = str(payload.get("sid") or "")
    if not sid:
        raise TwilioApiError("Twilio answered without a message sid")
    return CreatedMessage(sid=sid, status=str(payload.get("status") or "queued"))


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str


def fetch_media(url: str, *, max_bytes: int) -> Media:
    """GET a message's media (basic auth; Twilio redirects to its CDN, and requests drops
    the credentials when the redirect leaves the host). Stops reading past `max_bytes`."""
    try:
        with requests.get(url, auth=_auth(), timeout=_timeout(), stream=True) as response:
            if response.status_code >= 400:
                raise TwilioApiError(
                    f"media {url} answered {response.status_code}", status=response.status_code
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TwilioApiError(f"media {url} is larger than {max_bytes} bytes")
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "application/octet-stream")
    except requests.RequestException as exc:
        raise TwilioApiError(f"media {url} could not be fetched: {exc}") from exc
    return Media(content=b"".join(chunks), content_type=content_type.split(";")[0].strip())
