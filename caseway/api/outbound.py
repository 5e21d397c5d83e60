"""Case updates sent out: one signed JSON POST per event and receiver, retried until it lands.

A public message on a case (the customer's or an agent's reply) becomes a delivery for every
active webhook subscription of a user who sees the case (its contact, the account's admins);
an agent's reply also becomes one push delivery to the gateway with the contact's devices.
Deliveries are rows first (`queue_case_event`, idempotent by key), then sent by the task
queue after commit (`deliver`); each failure enqueues the next attempt for its time, and
`retry_due_deliveries` (`caseway send_deliveries`) catches up on any that were missed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from caseway.api.exceptions import UnsafeUrl
from caseway.api.outbound_models import (
    Device,
    OutboundDelivery,
    OutboundKind,
    OutboundStatus,
    WebhookSubscription,
)
from caseway.api.outputs import activity_out
from caseway.api.signing import SIGNATURE_HEADER, sign
from caseway.cases.models import PUBLIC_ACTIVITY_KINDS, Activity, ActivityKind

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(days=1)
SWEEP_BATCH = 100
USER_AGENT = "Caseway-Webhooks/1"
SAVED_FIELDS = [
    "attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"
]  # fmt: skip


# --- receivers -----------------------------------------------------------------------------


def check_url(url: str) -> None:
    """Refuse what a webhook may not point at: other schemes, and (unless
    CASEWAY_WEBHOOK_ALLOW_PRIVATE) hosts that resolve to loopback, private, link-local or
    reserved addresses. Checked when subscribing and again before each POST (DNS changes)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(gettext("The URL must start with http:// or https:// and name a host."))
    if settings.CASEWAY_WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(gettext("The URL's host does not resolve.")) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise UnsafeUrl(gettext("The URL points at a private or local address."))


@transaction.atomic
def create_subscription(
    *, user: AbstractBaseUser, url: str, description: str = ""
) -> WebhookSubscription:
    """A webhook for `user`'s case updates, with a fresh signing secret."""
    check_url(url)
    return WebhookSubscription.objects.create(
        user_id=user.pk,
        url=url,
        description=description.strip(),
        secret="whsec_" + secrets.token_urlsafe(32),
    )


@transaction.atomic
def delete_subscription(*, subscription: WebhookSubscription) -> None:
    """Stop sending; pending deliveries go with it."""
    subscription.delete()


# --- events --------------------------------------------------------------------------------


def event_payload(*, event_id: str, activity: Activity) -> dict[str, Any]:
    """The JSON of one case update, as the feed shows it (public fields only)."""
    case = activity.case
    return {
        "id": event_id,
        "type": "case.message",
        "created_at": timezone.now().isoformat(),
        "data": {
            "cursor": str(activity.pk),
            "type": "message",
            "case": {"number": case.number, "subject": case.subject, "status": case.status},
            "activity": activity_out(activity, for_agent=False).model_dump(mode="json"),
        },
    }


def subscriptions_for_case(*, case_id: int) -> list[WebhookSubscription]:
    """Active subscriptions of active customers who see the case: its contact's login, and the
    logins of its account's admin contacts (as cases_visible_to decides). One query."""
    sees = Q(user__contact__cases__pk=case_id) | Q(
        user__contact__is_account_admin=True, user__contact__account__cases__pk=case_id
    )
    return list(
        WebhookSubscription.objects.filter(sees, is_active=True, user__is_active=True)
        .exclude(user__is_staff=True)
        .distinct()
        .order_by("pk")
    )


def devices_to_notify(*, case_id: int) -> list[dict[str, Any]]:
    """The push devices of the case contact's login (platform, token, user_id). One query."""
    rows = Device.objects.filter(user__contact__cases__pk=case_id, user__is_active=True)
    return [dict(row) for row in rows.order_by("pk").values("platform", "token", "user_id")]


def queue_case_event(*, activity_id: int, case_id: int, kind: str) -> list[int]:
    """Write the deliveries of one public timeline entry; return the ids of those still
    pending. Running it twice writes nothing new (deliveries are unique by key).

    Every public message in the system passes here after commit, so the usual case (nobody
    subscribed, no device) costs one query, or two for an agent's reply with push on.
    """
    if kind not in PUBLIC_ACTIVITY_KINDS:
        return []
    subscriptions = subscriptions_for_case(case_id=case_id)
    push_on = bool(settings.CASEWAY_PUSH_GATEWAY_URL) and kind == ActivityKind.MESSAGE_OUT
    devices = devices_to_notify(case_id=case_id) if push_on else []
    if not subscriptions and not devices:
        return []
    activity = (
        Activity.objects.select_related("case", "author_agent", "author_contact")
        .prefetch_related("attachments")
        .filter(pk=activity_id, is_public=True, kind__in=PUBLIC_ACTIVITY_KINDS)
        .first()
    )
    if activity is None:
        return []
    rows = []
    for subscription in subscriptions:
        key = f"webhook:{subscription.pk}:{activity.pk}"
        rows.append(
            OutboundDelivery(
                key=key,
                kind=OutboundKind.WEBHOOK,
                subscription=subscription,
                url=subscription.url,
                payload=event_payload(event_id=key, activity=activity),
            )
        )
    if devices:
        rows.append(_push_delivery(activity, devices))
    now = timezone.now()
    for row in rows:
        row.next_attempt_at = now
    with transaction.atomic():
        OutboundDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        OutboundDelivery.objects.filter(
            key__in=[row.key for row in rows], status=OutboundStatus.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )


def _push_delivery(activity: Activity, devices: list[dict[str, Any]]) -> OutboundDelivery:
    """An agent's reply, for the gateway to notify the case contact's devices."""
    case = activity.case
    key = f"push:{devices[0]['user_id']}:{activity.pk}"
    body = " ".join(activity.text.split())
    return OutboundDelivery(
        key=key,
        kind=OutboundKind.PUSH,
        url=settings.CASEWAY_PUSH_GATEWAY_URL,
        payload={
            "id": key,
            "type": "case.reply",
            "created_at": timezone.now().isoformat(),
            "notification": {
                "title": gettext("New reply on %(number)s") % {"number": case.number},
                "body": body[:177] + "…" if len(body) > 178 else body,
            },
            "data": {"case": case.number, "activity": activity.pk, "cursor": str(activity.pk)},
            "devices": [{"platform": d["platform"], "token": d["token"]} for d in devices],
        },
    )


@transaction.atomic
def queue_ping(*, subscription: WebhookSubscription) -> OutboundDelivery:
    """A test event for a subscription, sent like any other."""
    key = f"webhook:{subscription.pk}:ping:{uuid.uuid4().hex}"
    return OutboundDelivery.objects.create(
        key=key,
        kind=OutboundKind.WEBHOOK,
        subscription=subscription,
        url=subscription.url,
        payload={"id": key, "type": "ping", "created_at": timezone.now().isoformat(), "data": {}},
        next_attempt_at=timezone.now(),
    )


# --- sending -------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an invitation: following it could reach anywhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _secret_for(delivery: OutboundDelivery) -> str:
    if delivery.kind == OutboundKind.PUSH:
        return str(settings.CASEWAY_PUSH_GATEWAY_SECRET)
    assert delivery.subscription is not None
    return delivery.subscription.secret


def _post(url: str, body: bytes, signature: str) -> tuple[int, bytes]:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature,
        },
    )
    try:
        with _opener.open(request, timeout=settings.CASEWAY_OUTBOUND_TIMEOUT_SECONDS) as response:
            return response.status, response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: the base, doubled each time."""
    seconds = settings.CASEWAY_OUTBOUND_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Try a due pending delivery once and record the outcome; return its status.

    The row stays locked during the POST (SKIP LOCKED where the database has it), so two
    workers never send one delivery at once; a delivered or failed one is never sent again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            OutboundDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "locked or gone"
        if delivery.status != OutboundStatus.PENDING:
            return delivery.status
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return "not due"
        subscription = delivery.subscription
        if delivery.kind == OutboundKind.WEBHOOK and (
            subscription is None or not subscription.is_active
        ):
            return _record(delivery, now=now, error="the subscription is inactive", final=True)
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        try:
            if delivery.kind == OutboundKind.WEBHOOK:
                check_url(delivery.url)
            signature = sign(secret=_secret_for(delivery), body=body)
            status, answer = _post(delivery.url, body, signature)
        except UnsafeUrl as exc:
            return _record(delivery, now=now, error=str(exc), final=True)
        except (OSError, ValueError) as exc:  # refused, timed out, reset, bad URL
            return _record(delivery, now=now, error=f"{type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            if delivery.kind == OutboundKind.PUSH:
                _forget_invalid_devices(delivery, answer)
            return _record(delivery, now=now, status_code=status, delivered=True)
        if status == 410 and subscription is not None:
            # "Gone": the receiver asks us to stop for good.
            WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
            return _record(delivery, now=now, status_code=status, error="gone", final=True)
        return _record(delivery, now=now, status_code=status, error=f"HTTP {status}")


def _record(
    delivery: OutboundDelivery,
    *,
    now: datetime,
    status_code: int | None = None,
    error: str = "",
    delivered: bool = False,
    final: bool = False,
) -> str:
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:500]
    if delivered:
        delivery.status = OutboundStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif final or delivery.attempts >= settings.CASEWAY_OUTBOUND_MAX_ATTEMPTS:
        delivery.status = OutboundStatus.FAILED
        delivery.next_attempt_at = None
        logger.warning(
            "giving up on %s after %s attempts: %s", delivery.key, delivery.attempts, error
        )
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(update_fields=SAVED_FIELDS)
    return delivery.status


def _forget_invalid_devices(delivery: OutboundDelivery, answer: bytes) -> None:
    """The gateway may answer {"invalid_tokens": [...]}: apps uninstalled, tokens expired."""
    try:
        invalid = json.loads(answer or b"{}").get("invalid_tokens", [])
    except (ValueError, AttributeError):
        return
    tokens = [token for token in invalid if isinstance(token, str)]
    user_id = int(delivery.key.split(":")[1])
    if tokens:
        Device.objects.filter(user_id=user_id, token__in=tokens).delete()


def retry_due_deliveries(*, now: datetime | None = None) -> int:
    """Send the pending deliveries whose time has come (catch-up); return how many
    were tried. One transaction per delivery, so a slow receiver holds up only itself."""
    now = now or timezone.now()
    due = list(
        OutboundDelivery.objects.filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        deliver(delivery_id=delivery_id, now=now)
    return len(due)
