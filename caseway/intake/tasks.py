"""Background tasks of intake: take ids, call one service, safe to run twice."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from caseway.cases.models import Activity, ActivityKind, DeliveryStatus
from caseway.cases.services import record_delivery
from caseway.connectors.exceptions import ConnectorError, NoAdapter
from caseway.connectors.messages import OutboundMessage, Sender
from caseway.connectors.registry import adapter_for, address_kind_for
from caseway.core.kinds import AddressKind
from caseway.customers.models import Contact, Identity


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
        earlier = list(
            Activity.objects.filter(case=case, channel=activity.channel)
            .exclude(provider_id="")
            .order_by("-created_at", "-pk")
            .values_list("provider_id", "kind", "data")[:10]
        )
        previous = [provider_id for provider_id, _kind, _data in earlier]
        # The customer's latest message says which of our addresses they wrote to (a
        # mailbox): the reply goes out from it.
        received: dict[str, str] = next(
            (
                data
                for _id, kind, data in earlier
                if kind == ActivityKind.MESSAGE_IN and isinstance(data, dict)
            ),
            {},
        )
        message = OutboundMessage(
            channel=activity.channel,
            to=_recipient(contact, activity.channel),
            subject=activity.subject,
            text=activity.text,
            html=activity.html,
            reference=case.number,
            in_reply_to=tuple(previous),
            meta={
                "activity_id": activity.pk,
                "received_on": received.get("received_on", ""),
                "sender_name": received.get("received_on_name", ""),
            },
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
            data=receipt.data,
        )
        return receipt.status


def _recipient(contact: Contact, channel: str) -> Sender:
    """Where the reply goes: the contact's newest address of the kind the channel's adapter
    sends to (a phone number for SMS), else their email, else their phone."""
    kind = address_kind_for(channel)
    if kind:
        address = (
            Identity.objects.filter(contact=contact, kind=kind)
            .order_by("-pk")
            .values_list("address", flat=True)
            .first()
        ) or (contact.phone if kind == AddressKind.PHONE else "")
        return Sender(kind=kind, address=address or "", name=contact.name)
    address_kind = AddressKind.PHONE if contact.phone and not contact.email else AddressKind.EMAIL
    return Sender(kind=address_kind, address=contact.email or contact.phone, name=contact.name)
