"""Writes on customers: every change to accounts, contacts and identities goes through here."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import IntegrityError, router, transaction

from caseway.core import sql
from caseway.customers.models import Account, Contact, Identity, normalize_address


@dataclass(frozen=True)
class ResolvedContact:
    contact: Contact
    identity: Identity
    is_new: bool


def resolve_contact(*, kind: str, address: str, name: str = "") -> ResolvedContact:
    """Find the contact behind an address, creating contact and identity when unknown.

    One query when known (the identity joined with its contact); three when new. Must run
    inside the caller's transaction; a concurrent creator of the same identity makes the
    caller's transaction fail with IntegrityError, and a retry then finds the identity.
    """
    return known_contact(kind=kind, address=address) or new_contact(
        kind=kind, address=address, name=name
    )


def known_contact(*, kind: str, address: str) -> ResolvedContact | None:
    """The contact behind an address, or None when no identity has it (one statement)."""
    identity = _known_identity(kind, normalize_address(kind, address))
    if identity is None:
        return None
    return ResolvedContact(contact=identity.contact, identity=identity, is_new=False)


def new_contact(*, kind: str, address: str, name: str = "") -> ResolvedContact:
    """A contact and its identity for an address no identity has yet (see resolve_contact)."""
    normalized = normalize_address(kind, address)
    contact = Contact.objects.create(
        name=name[:200],
        email=normalized if kind == "email" else "",
        phone=normalized if kind == "phone" else "",
    )
    identity = Identity.objects.create(kind=kind, address=normalized, contact=contact)
    return ResolvedContact(contact=contact, identity=identity, is_new=True)


@cache
def _identity_sql(using: str) -> str:
    # (kind, address) is unique: no ORDER BY or LIMIT needed. The account comes along: the
    # SLA tier and routing rules of a new case look at it.
    return (
        f"SELECT {sql.columns(Identity, 'i', using)}, {sql.columns(Contact, 'c', using)}, "  # noqa: S608
        f"{sql.columns(Account, 'a', using)} "
        f"FROM {sql.table(Identity, using)} i "
        f"JOIN {sql.table(Contact, using)} c ON c.id = i.contact_id "
        f"LEFT JOIN {sql.table(Account, using)} a ON a.id = c.account_id "
        "WHERE i.kind = %s AND i.address = %s"
    )


def _known_identity(kind: str, normalized: str) -> Identity | None:
    """The identity with its contact and the contact's account loaded, in one precompiled
    statement (this runs for every inbound message)."""
    using = router.db_for_read(Identity)
    row = sql.fetch_one(_identity_sql(using), [kind, normalized], using)
    if row is None:
        return None
    reader = sql.RowReader(row, using)
    identity = reader.load(Identity)
    contact = reader.load(Contact)
    Contact.account.field.set_cached_value(contact, reader.load_or_none(Account))
    Identity.contact.field.set_cached_value(identity, contact)
    return identity


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
