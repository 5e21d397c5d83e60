"""SMS opt-out per phone number: what a STOP or START keyword leaves behind."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from caseway.connectors.models import SmsConsent

STOP = "stop"
START = "start"


@transaction.atomic
def record_keyword(
    *, number: str, keyword: str, via: str = "", at: datetime | None = None
) -> SmsConsent:
    """Opt `number` out (STOP) or back in (START). Idempotent: the same keyword again
    changes nothing but the time."""
    at = at or timezone.now()
    consent, _created = SmsConsent.objects.select_for_update().get_or_create(
        number=number, defaults={"changed_at": at}
    )
    consent.is_opted_out = keyword == STOP
    consent.keyword = keyword
    consent.via = via[:64]
    consent.changed_at = at
    consent.save(update_fields=["is_opted_out", "keyword", "via", "changed_at"])
    return consent


def opted_out_since(number: str) -> datetime | None:
    """When `number` opted out of our SMS, or None when it accepts them."""
    return (
        SmsConsent.objects.filter(number=number, is_opted_out=True)
        .values_list("changed_at", flat=True)
        .first()
    )
