"""A customer's API call turned into the one InboundMessage that intake.receive() takes.

Everything is checked before intake runs, so a refused request writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from caseway.api.auth import Principal
from caseway.api.errors import field_error
from caseway.api.schemas import AttachmentIn
from caseway.cases.exceptions import AttachmentRejected
from caseway.cases.services import check_attachment_file
from caseway.connectors.messages import AttachmentIn as InboundAttachment
from caseway.connectors.messages import InboundMessage, Sender
from caseway.core.kinds import AddressKind
from caseway.customers.models import Contact, Identity, normalize_address
from caseway.customers.services import add_identity


def provider_id_for(caller: Principal, client_message_id: str | None) -> str:
    """A client's own message id makes a retry a replay; without one every call is new."""
    if client_message_id:
        return f"api:{caller.user.pk}:{client_message_id}"
    return f"api:{uuid.uuid4()}"


def checked_attachments(attachments: Sequence[AttachmentIn]) -> tuple[InboundAttachment, ...]:
    """Apply the size and type rules now, pointing a refusal at the attachment's field."""
    checked = []
    for index, attachment in enumerate(attachments):
        content = attachment.content_base64
        try:
            check_attachment_file(
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=len(content),
            )
        except AttachmentRejected as exc:
            too_big = len(content) > settings.CASEWAY_ATTACHMENT_MAX_BYTES
            raise field_error(
                ["body", "payload", "attachments", index,
                 "content_base64" if too_big else "content_type"],
                str(exc),
                "attachment_rejected",
            ) from exc  # fmt: skip
        checked.append(
            InboundAttachment(
                filename=attachment.filename,
                content_type=attachment.content_type,
                content=content,
            )
        )
    return tuple(checked)


def sender_for(contact: Contact) -> Sender:
    """The contact's email as intake's sender, making sure it resolves back to this contact.

    Intake finds the contact through the sender's identity. A contact whose login has no email
    identity yet gets one; an address that belongs to another contact is refused, or the case
    would land with someone else.
    """
    if not contact.email:
        raise HttpError(409, _("Your contact record has no email address; ask support to add it."))
    address = normalize_address(AddressKind.EMAIL, contact.email)
    owner_id = (
        Identity.objects.filter(kind=AddressKind.EMAIL, address=address)
        .values_list("contact_id", flat=True)
        .first()
    )
    if owner_id is None:
        add_identity(contact=contact, kind=AddressKind.EMAIL, address=address)
    elif owner_id != contact.pk:
        raise HttpError(409, _("Your email address belongs to another contact; ask support."))
    return Sender(kind=AddressKind.EMAIL, address=address, name=contact.name)


def customer_message(
    *,
    caller: Principal,
    contact: Contact,
    channel: str,
    text: str,
    attachments: tuple[InboundAttachment, ...],
    client_message_id: str | None,
    subject: str = "",
    case_reference: str = "",
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        provider_id=provider_id_for(caller, client_message_id),
        sender=sender_for(contact),
        subject=subject,
        text=text,
        attachments=attachments,
        case_reference=case_reference,
        meta={
            "user_id": caller.user.pk,
            "token": caller.token.prefix if caller.token else None,
            "client_message_id": client_message_id,
        },
    )
