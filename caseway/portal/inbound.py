"""Build the InboundMessage a portal form stands for. Views hand it to intake.receive()."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError

from caseway.cases.models import Case
from caseway.connectors.messages import AttachmentIn, InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.customers.models import Contact, Identity, normalize_address
from caseway.customers.services import add_identity


def sender_for_contact(contact: Contact) -> Sender | None:
    """The email address a known contact writes from in the portal, or None if they have none.

    Intake finds the contact by its identity, so the address must be one of the contact's
    email identities; a profile with only a primary email gets that identity added.
    """
    addresses = sorted(
        Identity.objects.filter(contact=contact, kind=AddressKind.EMAIL).values_list(
            "address", flat=True
        )
    )
    primary = normalize_address(AddressKind.EMAIL, contact.email) if contact.email else ""
    if primary and primary not in addresses:
        try:
            add_identity(contact=contact, kind=AddressKind.EMAIL, address=primary)
        except IntegrityError:
            primary = ""  # another contact owns that address; write from one of our own
    address = primary or next(iter(addresses), "")
    if not address:
        return None
    return Sender(kind=AddressKind.EMAIL, address=address, name=contact.name)


def new_case_message(
    *,
    provider_id: UUID,
    sender: Sender,
    subject: str,
    text: str,
    attachments: tuple[AttachmentIn, ...],
    user_id: int | None,
) -> InboundMessage:
    return InboundMessage(
        channel=ChannelKind.PORTAL,
        provider_id=str(provider_id),
        sender=sender,
        subject=subject.strip(),
        text=text,
        attachments=attachments,
        meta={"portal_user_id": user_id},
    )


def reply_message(
    *,
    provider_id: UUID,
    sender: Sender,
    case: Case,
    text: str,
    attachments: tuple[AttachmentIn, ...],
    user_id: int | None,
) -> InboundMessage:
    return InboundMessage(
        channel=ChannelKind.PORTAL,
        provider_id=str(provider_id),
        sender=sender,
        subject=f"Re: {case.subject}"[:300],
        text=text,
        attachments=attachments,
        case_reference=case.number,
        meta={"portal_user_id": user_id},
    )
