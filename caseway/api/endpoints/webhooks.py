"""Webhook subscriptions of the signed-in customer: their backend hears of case updates."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from caseway.api.auth import require_customer
from caseway.api.errors import field_error
from caseway.api.exceptions import UnsafeUrl
from caseway.api.mobile_schemas import DeliveryOut, WebhookCreatedOut, WebhookIn, WebhookOut
from caseway.api.models import OutboundDelivery, WebhookSubscription
from caseway.api.outbound import create_subscription, delete_subscription, queue_ping
from caseway.api.schemas import ErrorOut, ValidationErrorOut

router = Router(tags=["webhooks"])

DENIED = {401: ErrorOut, 403: ErrorOut}


class DeliveryQuery(Schema):
    limit: int = Field(20, ge=1, le=100)


def _out(subscription: WebhookSubscription) -> WebhookOut:
    return WebhookOut(
        id=subscription.pk,
        url=subscription.url,
        description=subscription.description,
        is_active=subscription.is_active,
        created_at=subscription.created_at,
    )


def _delivery_out(delivery: OutboundDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.pk,
        event_id=delivery.key,
        kind=delivery.kind,  # type: ignore[arg-type]
        status=delivery.status,  # type: ignore[arg-type]
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
    )


def _mine(request: HttpRequest, webhook_id: int) -> WebhookSubscription:
    caller, _contact = require_customer(request)
    subscription = WebhookSubscription.objects.filter(pk=webhook_id, user_id=caller.user.pk).first()
    if subscription is None:
        raise HttpError(404, _("No such webhook."))
    return subscription


@router.post(
    "",
    response={201: WebhookCreatedOut, **DENIED, 422: ValidationErrorOut},
    summary="Subscribe a URL to your case updates (customers)",
)
def create(request: HttpRequest, payload: WebhookIn) -> Status[WebhookCreatedOut]:
    """Every public message on a case you see is POSTed to `url` as signed JSON (see the
    Caseway-Signature header). The `secret` is shown only in this answer."""
    caller, _contact = require_customer(request)
    try:
        subscription = create_subscription(
            user=caller.user, url=payload.url, description=payload.description
        )
    except UnsafeUrl as exc:
        raise field_error(["body", "payload", "url"], str(exc), "url") from exc
    return Status(
        201, WebhookCreatedOut(**_out(subscription).model_dump(), secret=subscription.secret)
    )


@router.get("", response={200: list[WebhookOut], **DENIED}, summary="Your webhooks")
def list_webhooks(request: HttpRequest) -> list[WebhookOut]:
    caller, _contact = require_customer(request)
    return [_out(s) for s in WebhookSubscription.objects.filter(user_id=caller.user.pk)]


@router.delete(
    "/{webhook_id}", response={204: None, **DENIED, 404: ErrorOut}, summary="Unsubscribe"
)
def delete(request: HttpRequest, webhook_id: int) -> Status[None]:
    delete_subscription(subscription=_mine(request, webhook_id))
    return Status(204, None)


@router.post(
    "/{webhook_id}/ping",
    response={202: DeliveryOut, **DENIED, 404: ErrorOut},
    summary="Send a test event",
)
def ping(request: HttpRequest, webhook_id: int) -> Status[DeliveryOut]:
    """A `ping` event, signed and retried like a real one; see its fate under /deliveries."""
    from caseway.api.tasks import deliver_outbound

    delivery = queue_ping(subscription=_mine(request, webhook_id))
    deliver_outbound.enqueue(delivery.pk)
    delivery.refresh_from_db()
    return Status(202, _delivery_out(delivery))


@router.get(
    "/{webhook_id}/deliveries",
    response={200: list[DeliveryOut], **DENIED, 404: ErrorOut},
    summary="Recent deliveries of a webhook, newest first",
)
def deliveries(
    request: HttpRequest, webhook_id: int, params: Query[DeliveryQuery]
) -> list[DeliveryOut]:
    subscription = _mine(request, webhook_id)
    rows = OutboundDelivery.objects.filter(subscription=subscription)[: params.limit]
    return [_delivery_out(row) for row in rows]
