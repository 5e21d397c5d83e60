"""Keeping a webhook delivery and handing what it carried to intake and listening.

The view has already checked the signature: nothing unsigned reaches these functions.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from caseway.connectors.social import SocialEvent
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import receive
from caseway.listening.services import listen_to_post
from caseway.social.models import DeliveryState, WebhookDelivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept:
    delivery: WebhookDelivery
    is_new: bool


def keep_delivery(
    *,
    channel: str,
    body: bytes,
    content_type: str,
    limit: int,
    state: str = DeliveryState.RECEIVED,
    error: str = "",
) -> Kept:
    """Store a signed delivery as it arrived (cut to `limit` bytes), once per body.

    The same body again returns the stored delivery (is_new False); a delivery that failed
    or was only received before goes back to received so it can be processed again.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                channel=channel,
                digest=digest,
                body=body[:limit],
                body_bytes=len(body),
                content_type=content_type[:200],
                state=state,
                error=error,
                received_at=timezone.now(),
            )
        return Kept(delivery, is_new=True)
    except IntegrityError:
        delivery = WebhookDelivery.objects.get(channel=channel, digest=digest)
        return Kept(delivery, is_new=False)


def reject_delivery(*, delivery: WebhookDelivery, reason: str) -> WebhookDelivery:
    """Mark a delivery that cannot be read; it stays for inspection."""
    delivery.state = DeliveryState.REJECTED
    delivery.error = reason[:5000]
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["state", "error", "processed_at"])
    return delivery


def deliver_events(*, delivery: WebhookDelivery, events: Sequence[SocialEvent]) -> Counter[str]:
    """Hand every event to its path: direct messages to intake.receive (they thread like
    chats), public posts to listening; count what happened on the delivery.

    A message intake refuses is kept by intake as failed and counted here; the delivery is
    still processed (the provider would only send it again). Anything unexpected marks the
    delivery failed and is raised, so the provider retries and replays change nothing.
    """
    counts: Counter[str] = Counter()
    errors: list[str] = []
    try:
        for event in events:
            if event.message is None:
                counts["ignored"] += 1
                continue
            try:
                if event.kind == "private":
                    result = receive(event.message)
                    counts["replays" if result.is_replay else "messages"] += 1
                else:
                    heard = listen_to_post(msg=event.message)
                    if heard.is_replay:
                        counts["replays"] += 1
                    else:
                        counts[f"posts_{heard.post.verdict}"] += 1
            except MessageRejected as exc:
                counts["refused"] += 1
                errors.append(f"{event.message.provider_id}: {exc}")
    except Exception as exc:
        delivery.state = DeliveryState.FAILED
        delivery.error = f"{type(exc).__name__}: {exc}"[:5000]
        delivery.summary = dict(counts)
        delivery.save(update_fields=["state", "error", "summary"])
        raise
    delivery.state = DeliveryState.PROCESSED
    delivery.error = "\n".join(errors)[:5000]
    delivery.summary = dict(counts)
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["state", "error", "summary", "processed_at"])
    return counts
