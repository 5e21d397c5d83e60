"""The Facebook and X webhooks: verify, keep, parse, hand over, answer.

Forged or unsigned: 403 and nothing stored. Too large: 413, kept (cut) for inspection.
Malformed: 400, kept for inspection. A delivery seen before: 200, nothing new.
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from caseway.connectors.exceptions import BadSignature, PayloadRejected
from caseway.connectors.facebook import FacebookAdapter
from caseway.connectors.social import SocialEvent, json_object
from caseway.connectors.x import XAdapter
from caseway.core.kinds import ChannelKind
from caseway.social.models import DeliveryState
from caseway.social.services import deliver_events, keep_delivery, reject_delivery

logger = logging.getLogger(__name__)


class SignedWebhook(Protocol):
    def verify(self, request: HttpRequest, body: bytes) -> None: ...
    def parse(self, data: dict[str, object]) -> list[SocialEvent]: ...


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _accept(request: HttpRequest, *, channel: str, adapter: SignedWebhook) -> HttpResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        # Beyond Django's own cap the body cannot even be read, so it cannot be verified.
        return _error(413, "the body is too large")
    try:
        adapter.verify(request, body)
    except BadSignature as exc:
        logger.warning("%s webhook refused: %s", channel, exc)
        return _error(403, "the signature does not match")
    limit = settings.CASEWAY_SOCIAL_WEBHOOK_MAX_BYTES
    content_type = request.headers.get("Content-Type", "")
    if len(body) > limit:
        reason = f"the body is {len(body)} bytes; the limit is {limit}"
        keep_delivery(
            channel=channel,
            body=body,
            content_type=content_type,
            limit=limit,
            state=DeliveryState.REJECTED,
            error=reason,
        )
        return _error(413, reason)
    kept = keep_delivery(channel=channel, body=body, content_type=content_type, limit=limit)
    delivery = kept.delivery
    if not kept.is_new and delivery.state in {DeliveryState.PROCESSED, DeliveryState.REJECTED}:
        if delivery.state == DeliveryState.REJECTED:
            return _error(400, delivery.error)
        return JsonResponse({"status": "already received"})
    try:
        events = adapter.parse(json_object(body))
    except PayloadRejected as exc:
        reject_delivery(delivery=delivery, reason=str(exc))
        return _error(400, str(exc))
    counts = deliver_events(delivery=delivery, events=events)
    return JsonResponse({"status": "received", **counts})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def facebook_webhook(request: HttpRequest) -> HttpResponse:
    """GET: the subscription handshake. POST: Messenger and page feed events."""
    adapter = FacebookAdapter()
    if request.method == "GET":
        try:
            challenge = adapter.subscription_challenge(request.GET.dict())
        except BadSignature as exc:
            logger.warning("facebook subscription refused: %s", exc)
            return _error(403, "the verify token does not match")
        return HttpResponse(challenge, content_type="text/plain")
    return _accept(request, channel=ChannelKind.FACEBOOK, adapter=adapter)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def x_webhook(request: HttpRequest) -> HttpResponse:
    """GET: the CRC challenge. POST: account activity (DMs, mentions, replies)."""
    adapter = XAdapter()
    if request.method == "GET":
        try:
            answer = adapter.crc_response(request.GET.get("crc_token", ""))
        except BadSignature as exc:
            logger.warning("x CRC refused: %s", exc)
            return _error(403, "the X webhook is not configured")
        except PayloadRejected as exc:
            return _error(400, str(exc))
        return HttpResponse(json.dumps(answer), content_type="application/json")
    return _accept(request, channel=ChannelKind.X, adapter=adapter)
