"""Reads of bot conversations: by token (whoever holds the token may read it)."""

from __future__ import annotations

from django.db.models import QuerySet

from caseway.assist.exceptions import ConversationNotFound
from caseway.assist.models import Conversation, Turn
from caseway.core.kinds import AddressKind
from caseway.customers.models import Contact, Identity, normalize_address


def get_conversation(*, token: str) -> Conversation:
    """The conversation of `token`; the token is the only credential a visitor has."""
    conversation = (
        Conversation.objects.select_related("handed_off_case").filter(token=token).first()
        if token
        else None
    )
    if conversation is None:
        raise ConversationNotFound(token)
    return conversation


def turns_of(*, conversation: Conversation) -> QuerySet[Turn]:
    """Its turns, oldest first."""
    return Turn.objects.filter(conversation=conversation).select_related("article").order_by("pk")


def contact_address(*, contact: Contact) -> str:
    """The email a known customer is reached at for a handoff: one of their own email
    identities (intake finds them by it), the primary email first; else the primary email."""
    addresses = sorted(
        Identity.objects.filter(contact=contact, kind=AddressKind.EMAIL).values_list(
            "address", flat=True
        )
    )
    primary = normalize_address(AddressKind.EMAIL, contact.email) if contact.email else ""
    if primary in addresses or not addresses:
        return primary
    return addresses[0]
