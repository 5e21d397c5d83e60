"""Webhook payloads refused before they became an InboundMessage (malformed, too large),
kept as failed inbound records so someone can look at them."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from caseway.intake.models import InboundRecord, InboundStatus

logger = logging.getLogger(__name__)

KEPT_BYTES = 64 * 1024  # of a body that was too large, this much is kept


def keep_rejected_payload(
    *, channel: str, body: bytes, reason: str, details: dict[str, Any] | None = None
) -> InboundRecord:
    """Store a refused payload as a failed record, keyed by a digest of its body, so the same
    payload sent again counts an attempt instead of adding a row."""
    digest = hashlib.sha256(body).hexdigest()
    payload = {
        "rejected_body": body[:KEPT_BYTES].decode("utf-8", errors="replace"),
        "size": len(body),
        **(details or {}),
    }
    with transaction.atomic():
        record, created = InboundRecord.objects.select_for_update().get_or_create(
            channel=channel,
            provider_id=f"rejected:{digest}",
            defaults={
                "payload": payload,
                "status": InboundStatus.FAILED,
                "error": reason,
                "received_at": timezone.now(),
            },
        )
        if not created:
            record.attempts += 1
            record.error = reason
            record.save(update_fields=["attempts", "error"])
    logger.warning("%s webhook payload rejected: %s", channel, reason)
    return record
