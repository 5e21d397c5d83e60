"""Case updates sent out: one signed JSON POST per event and receiver, retried until it lands.

A public message on a case (the customer's or an agent's reply) becomes a delivery for every
active webhook subscription of a user who sees the case (its contact, the account's admins);
an agent's reply also becomes one push delivery to the gateway with the contact's devices.
The worker's dispatcher (`dispatch_case_events`, every CASEWAY_OUTBOUND_DISPATCH_SECONDS)
follows the timeline with a cursor and writes the deliveries (idempotent by key); the task
queue sends each after that commit (`deliver`); each failure enqueues the next attempt for
its time, and `retry_due_deliveries` (`caseway send_deliveries`) catches up on any missed.
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
from dataclasses import dataclass
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
    OutboundCursor,
    OutboundDelivery,
    OutboundKind,
    OutboundStatus,
    WebhookSubscription,
)
from caseway.api.outputs import activity_out
from caseway.api.signing import SIGNATURE_HEADER, sign
from caseway.cases.models import PUBLIC_ACTIVITY_KINDS, Activity, ActivityKind, Case

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(days=1)
CURSOR_NAME = "case-events"
LISTENER_FIELDS = ("pk", "url", "created_at", "user__contact__pk", "user__contact__account_id",
                   "user__contact__is_account_admin")  # fmt: skip
DISPATCH_BATCH = 500
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


@dataclass(frozen=True)
class Listener:
    """A webhook subscription, as the dispatcher matches it to cases."""

    subscription_id: int
    url: str
    created_at: datetime
    contact_id: int
    account_id: int | None
    is_account_admin: bool

    def sees(self, case: Case) -> bool:
        """Whether this subscriber sees the case, as cases_visible_to decides for customers."""
        if case.contact_id == self.contact_id:
            return True
        return (
            self.is_account_admin
            and self.account_id is not None
            and (case.account_id == self.account_id)
        )


def listeners_for(cases: list[Case]) -> list[Listener]:
    """Active subscriptions of active customers who see any of `cases`. One query."""
    contact_ids = {case.contact_id for case in cases}
    account_ids = {case.account_id for case in cases if case.account_id}
    rows = (
        WebhookSubscription.objects.filter(
            Q(user__contact__pk__in=contact_ids)
            | Q(user__contact__is_account_admin=True, user__contact__account_id__in=account_ids),
            is_active=True,
            user__is_active=True,
            user__is_staff=False,
        )
        .order_by("pk")
        .values_list(*LISTENER_FIELDS)
    )
    return [Listener(*row) for row in rows]


def devices_of(contact_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    """Push devices of the logins of these contacts, by contact id. One query."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = Device.objects.filter(user__contact__pk__in=contact_ids, user__is_active=True)
    for platform, token, user_id, contact_id in rows.order_by("pk").values_list(
        "platform", "token", "user_id", "user__contact__pk"
    ):
        found.setdefault(contact_id, []).append(
            {"platform": platform, "token": token, "user_id": user_id}
        )
    return found


def dispatch_case_events(
    *, now: datetime | None = None, batch: int = DISPATCH_BATCH
) -> tuple[list[int], int]:
    """Turn the public timeline entries after the cursor into deliveries, advance the cursor,
    and return the ids of the new deliveries (to hand to the task queue after commit) and
    how many entries were looked at (a full batch means more may wait).

    The outbox of case updates is the timeline itself: nothing is written on the intake path,
    and a message with nobody listening costs nothing. The cursor row is locked, so
    dispatchers in several workers take turns, and each entry is dispatched once. Entries
    younger than CASEWAY_FEED_SETTLE_SECONDS wait for the next run, as in the feed (ids are
    handed out at insert, not at commit). A subscription hears of entries made after it.
    """
    now = now or timezone.now()
    settled_before = now - timedelta(seconds=settings.CASEWAY_FEED_SETTLE_SECONDS)
    with transaction.atomic():
        cursor, _ = OutboundCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
        entries = list(
            Activity.objects.filter(
                pk__gt=cursor.last_activity_id, kind__in=PUBLIC_ACTIVITY_KINDS, is_public=True
            )
            .order_by("pk")
            .only("pk", "case_id", "kind", "created_at")[:batch]
        )
        for index, entry in enumerate(entries):
            if entry.created_at > settled_before:
                entries = entries[:index]
                break
        if not entries:
            return [], 0
        rows = _deliveries_for(entries)
        now = timezone.now()
        for row in rows:
            row.next_attempt_at = now
        OutboundDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        cursor.last_activity_id = entries[-1].pk
        cursor.save(update_fields=["last_activity_id", "updated_at"])
        if not rows:
            return [], len(entries)
        pending = OutboundDelivery.objects.filter(
            key__in=[row.key for row in rows], status=OutboundStatus.PENDING, attempts=0
        )
        return list(pending.values_list("pk", flat=True)), len(entries)


def _deliveries_for(entries: list[Activity]) -> list[OutboundDelivery]:
    """The deliveries of a batch of entries: a few queries whatever the batch's size."""
    cases = {
        case.pk: case
        for case in Case.objects.filter(pk__in={entry.case_id for entry in entries}).only(
            "pk", "contact_id", "account_id", "subject", "status"
        )
    }
    listeners = listeners_for(list(cases.values()))
    push_on = bool(settings.CASEWAY_PUSH_GATEWAY_URL)
    replies = [entry for entry in entries if entry.kind == ActivityKind.MESSAGE_OUT]
    devices = (
        devices_of({cases[entry.case_id].contact_id for entry in replies})
        if push_on and replies
        else {}
    )
    wanted = []
    for entry in entries:
        case = cases[entry.case_id]
        hearing = [
            listener
            for listener in listeners
            if listener.sees(case) and listener.created_at <= entry.created_at
        ]
        phones = devices.get(case.contact_id, []) if entry.kind == ActivityKind.MESSAGE_OUT else []
        if hearing or phones:
            wanted.append((entry.pk, hearing, phones))
    if not wanted:
        return []
    full = {
        activity.pk: activity
        for activity in Activity.objects.filter(pk__in=[pk for pk, _h, _p in wanted])
        .select_related("case", "author_agent", "author_contact")
        .prefetch_related("attachments")
    }
    rows = []
    for pk, hearing, phones in wanted:
        activity = full[pk]
        for listener in hearing:
            key = f"webhook:{listener.subscription_id}:{pk}"
            rows.append(
                OutboundDelivery(
                    key=key,
                    kind=OutboundKind.WEBHOOK,
                    subscription_id=listener.subscription_id,
                    url=listener.url,
                    payload=event_payload(event_id=key, activity=activity),
                )
            )
        if phones:
            rows.append(_push_delivery(activity, phones))
    return rows


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
