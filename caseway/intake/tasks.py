"""Background tasks of intake: take ids, call one service, safe to run twice."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from caseway.cases.models import Activity, ActivityKind, DeliveryStatus
from caseway.cases.services import record_delivery
from caseway.connectors.exceptions import ConnectorError, NoAdapter
from caseway.connectors.messages import OutboundMessage, Sender
from caseway.connectors.registry import adapter_for
from caseway.core.kinds import AddressKind


@task()
def deliver_reply(activity_id: int) -> str:
    """Hand a pending reply to its channel's adapter and record the outcome."""
    with transaction.atomic():
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("case__contact")
            .get(pk=activity_id)
        )
        if activity.kind != ActivityKind.MESSAGE_OUT:
            return "not a reply"
        if activity.delivery_status != DeliveryStatus.PENDING:
            return activity.delivery_status
        case = activity.case
        contact = case.contact
        previous = list(
            Activity.objects.filter(case=case, channel=activity.channel)
            .exclude(provider_id="")
            .order_by("-created_at")
            .values_list("provider_id", flat=True)[:10]
        )
        address_kind = (
            AddressKind.PHONE if contact.phone and not contact.email else AddressKind.EMAIL
        )
        message = OutboundMessage(
            channel=activity.channel,
            to=Sender(kind=address_kind, address=contact.email or contact.phone, name=contact.name),
            subject=activity.subject,
            text=activity.text,
            html=activity.html,
            reference=case.number,
            in_reply_to=tuple(previous),
            meta={"activity_id": activity.pk},
        )
        try:
            receipt = adapter_for(activity.channel).send(message)
        except NoAdapter:
            record_delivery(
                activity_id=activity.pk,
                status=DeliveryStatus.FAILED,
                detail=f"no adapter for the {activity.channel} channel is configured",
            )
            return DeliveryStatus.FAILED
        except ConnectorError as exc:
            record_delivery(activity_id=activity.pk, status=DeliveryStatus.FAILED, detail=str(exc))
            return DeliveryStatus.FAILED
        record_delivery(
            activity_id=activity.pk,
            status=receipt.status,
            provider_id=receipt.provider_id,
            detail=receipt.detail,
        )
        return receipt.status
