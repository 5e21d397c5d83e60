"""Writes on customers: every change to accounts, contacts and identities goes through here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from caseway.customers.models import Contact, Identity, normalize_address


@dataclass(frozen=True)
class ResolvedContact:
    contact: Contact
    identity: Identity
    is_new: bool


def resolve_contact(*, kind: str, address: str, name: str = "") -> ResolvedContact:
    """Find the contact behind an address, creating contact and identity when unknown.

    One query when known (identity, contact and account joined); three when new. Must run
    inside the caller's transaction; a concurrent creator of the same identity makes the
    caller's transaction fail with IntegrityError, and a retry then finds the identity.
    """
    normalized = normalize_address(kind, address)
    identity = (
        Identity.objects.select_related("contact__account", "contact__user")
        .filter(kind=kind, address=normalized)
        .first()
    )
    if identity is not None:
        return ResolvedContact(contact=identity.contact, identity=identity, is_new=False)
    contact = Contact.objects.create(
        name=name[:200],
        email=normalized if kind == "email" else "",
        phone=normalized if kind == "phone" else "",
    )
    identity = Identity.objects.create(kind=kind, address=normalized, contact=contact)
    return ResolvedContact(contact=contact, identity=identity, is_new=True)


@transaction.atomic
def add_identity(
    *, contact: Contact, kind: str, address: str, is_verified: bool = False
) -> Identity:
    """Attach another address to a contact; raises IntegrityError if someone else owns it."""
    normalized = normalize_address(kind, address)
    try:
        with transaction.atomic():
            return Identity.objects.create(
                contact=contact, kind=kind, address=normalized, is_verified=is_verified
            )
    except IntegrityError:
        existing = Identity.objects.get(kind=kind, address=normalized)
        if existing.contact_id != contact.pk:
            raise
        return existing
