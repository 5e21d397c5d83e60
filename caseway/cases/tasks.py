"""Background tasks of cases: take ids, call one service, safe to run twice."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from caseway.cases.models import Notification


@task()
def email_notification(notification_id: int) -> str:
    """Email an agent a notification, once: the row is locked and stamped when sent."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "case")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "gone"
        if notification.emailed_at is not None:
            return "already sent"
        address = notification.recipient.email
        if not address:
            return "no address"
        case = notification.case
        link = f"{settings.SITE_URL.rstrip('/')}/agent/cases/{case.number}/"
        send_mail(
            subject=f"[{case.number}] {notification.text}"[:200],
            message=f"{notification.text}\n\n{case.number} {case.subject}\n{link}\n",
            from_email=None,
            recipient_list=[address],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return "sent"


@task()
def index_resolved_case(case_id: int) -> str:
    """Embed a resolved case for "similar resolved cases" (no-op if unchanged)."""
    from caseway.cases.similar import index_cases

    return "indexed" if index_cases([case_id]) else "unchanged"
