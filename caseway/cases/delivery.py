"""What a channel tells us after a reply left: failures, and machine notices on a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from caseway.cases.models import Activity, ActivityKind, Case, DeliveryStatus
from caseway.cases.services import add_system_event


def add_system_note(
    *, case: Case, text: str, data: dict[str, Any] | None = None, at: datetime | None = None
) -> Activity:
    """Put an internal note written by Caseway itself on the timeline (an automatic reply
    that came in, a delivery failure). Agents see it; the customer does not."""
    return add_system_event(case=case, text=text, data=data, at=at, kind=ActivityKind.NOTE)


@transaction.atomic
def record_delivery_failure(
    *, activity: Activity, detail: str, data: dict[str, Any] | None = None
) -> Activity:
    """Mark a reply as not delivered and say so on its case's timeline.

    Idempotent: a reply already marked failed with the same detail gets no second note.
    Returns the note (or the reply itself when nothing changed).
    """
    reply = Activity.objects.select_for_update().select_related("case").get(pk=activity.pk)
    if (
        reply.delivery_status == DeliveryStatus.FAILED
        and reply.data.get("delivery_detail") == detail
    ):
        return reply
    reply.delivery_status = DeliveryStatus.FAILED
    reply.data = {**reply.data, "delivery_detail": detail}
    reply.save(update_fields=["delivery_status", "data"])
    when = timezone.localtime(reply.created_at).strftime("%Y-%m-%d %H:%M")
    return add_system_note(
        case=reply.case,
        text=gettext("The reply of %(when)s could not be delivered: %(detail)s")
        % {"when": when, "detail": detail},
        data={"delivery_failed": reply.pk, **(data or {})},
    )
