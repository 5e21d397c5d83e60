"""Merge suggestions: contacts that share a normalised email or phone number.

A contact's addresses are its email and phone identities, its email and phone details, and
the addresses it wrote in a message (a signature, "you can also text me on ..."). Another
live contact with one of them as an identity or as its email or phone is suggested once per
pair; an agent merges or dismisses it, and either verdict is remembered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from caseway.core.events import publish
from caseway.core.kinds import AddressKind
from caseway.customers.events import MergeSuggested
from caseway.customers.exceptions import SuggestionDecided
from caseway.customers.merge_models import SuggestionSource
from caseway.customers.merging import check_agent, check_can_merge, user_label
from caseway.customers.models import (
    Contact,
    Identity,
    MergeSuggestion,
    SuggestionStatus,
    normalize_address,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MATCHED_KINDS = (AddressKind.EMAIL, AddressKind.PHONE)
# Conservative on purpose: a suggestion costs an agent's attention.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ().-]{6,18}\d(?![\w])")
MAX_MENTIONS = 10


@dataclass(frozen=True)
class Address:
    kind: str
    address: str
    source: str


def addresses_in_text(text: str) -> list[tuple[str, str]]:
    """Emails and phone numbers (9 to 15 digits: no dates) written in a message, normalised."""
    found: list[tuple[str, str]] = []
    for match in _EMAIL.finditer(text):
        found.append((AddressKind.EMAIL, normalize_address(AddressKind.EMAIL, match.group())))
    for match in _PHONE.finditer(text):
        phone = normalize_address(AddressKind.PHONE, match.group())
        if 9 <= len(phone.lstrip("+")) <= 15:
            found.append((AddressKind.PHONE, phone))
    return list(dict.fromkeys(found))[:MAX_MENTIONS]


def _own_addresses(contact: Contact, mentioned: Iterable[tuple[str, str]]) -> list[Address]:
    own = [
        Address(kind, address, SuggestionSource.IDENTITY)
        for kind, address in Identity.objects.filter(
            contact_id=contact.pk, kind__in=MATCHED_KINDS
        ).values_list("kind", "address")
    ]
    if contact.email:
        own.append(Address(AddressKind.EMAIL, normalize_address("email", contact.email), "details"))
    if contact.phone:
        own.append(Address(AddressKind.PHONE, normalize_address("phone", contact.phone), "details"))
    own += [Address(kind, address, SuggestionSource.MESSAGE) for kind, address in mentioned]
    return own


def suggest_merges(
    *, contact: Contact, mentioned: Iterable[tuple[str, str]] = (), evidence: str = ""
) -> list[MergeSuggestion]:
    """Suggest merging `contact` with every live contact that shares one of its addresses
    (see the module docstring); return the suggestions new to this call. A pair seen before
    (open, dismissed or merged) is never suggested again. A merged contact suggests nothing.
    """
    if contact.merged_into_id is not None:
        return []
    own = _own_addresses(contact, mentioned)
    if not own:
        return []
    by_key = {(a.kind, a.address): a for a in reversed(own)}
    emails = [a.address for a in own if a.kind == AddressKind.EMAIL]
    phones = [a.address for a in own if a.kind == AddressKind.PHONE]
    matches: dict[int, Address] = {}
    identity_match = Q()
    for address_kind, values in ((AddressKind.EMAIL, emails), (AddressKind.PHONE, phones)):
        if values:
            identity_match |= Q(kind=address_kind, address__in=values)
    for other_id, kind, address in (
        Identity.objects.filter(identity_match, contact__merged_into__isnull=True)
        .exclude(contact_id=contact.pk)
        .values_list("contact_id", "kind", "address")
    ):
        matches.setdefault(other_id, by_key[(kind, address)])
    detail_match = Q(pk__in=[])
    if emails:
        detail_match |= Q(email__in=emails)
    if phones:
        detail_match |= Q(phone__in=phones)
    for other_id, email, phone in (
        Contact.objects.filter(detail_match, merged_into__isnull=True)
        .exclude(pk=contact.pk)
        .values_list("pk", "email", "phone")
    ):
        key = (AddressKind.EMAIL, email) if email in emails else (AddressKind.PHONE, phone)
        matches.setdefault(other_id, by_key[key])
    if not matches:
        return []
    now = timezone.now()
    pairs = {(min(contact.pk, other), max(contact.pk, other)): a for other, a in matches.items()}
    seen = set(
        MergeSuggestion.objects.filter(
            Q(contact_id=contact.pk, other_id__in=list(matches))
            | Q(other_id=contact.pk, contact_id__in=list(matches))
        ).values_list("contact_id", "other_id")
    )
    new = [
        MergeSuggestion(
            contact_id=low,
            other_id=high,
            kind=address.kind,
            address=address.address,
            source=address.source,
            evidence=evidence[:300] if address.source == SuggestionSource.MESSAGE else "",
            created_at=now,
        )
        for (low, high), address in sorted(pairs.items())
        if (low, high) not in seen
    ]
    # A concurrent pass may have suggested a pair meanwhile: the pair constraint keeps one.
    created = MergeSuggestion.objects.bulk_create(new, ignore_conflicts=True)
    stored = list(
        MergeSuggestion.objects.filter(
            contact_id__in=[s.contact_id for s in created],
            other_id__in=[s.other_id for s in created],
            created_at=now,
        )
    )
    for suggestion in stored:
        publish(
            MergeSuggested(
                suggestion_id=suggestion.pk,
                contact_id=suggestion.contact_id,
                other_id=suggestion.other_id,
            )
        )
    return stored


@transaction.atomic
def dismiss_suggestion(*, suggestion: MergeSuggestion, actor: AbstractBaseUser) -> MergeSuggestion:
    """An agent says the two contacts are different people; the pair is never suggested
    again. Raises SuggestionDecided when it was dismissed or merged already."""
    check_can_merge(actor)
    suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != SuggestionStatus.OPEN:
        raise SuggestionDecided(suggestion.status)
    suggestion.status = SuggestionStatus.DISMISSED
    suggestion.decided_at = timezone.now()
    suggestion.decided_by = cast("User", actor)
    suggestion.decided_by_label = user_label(actor)
    suggestion.save(update_fields=["status", "decided_at", "decided_by", "decided_by_label"])
    return suggestion


@transaction.atomic
def update_contact_details(
    *, contact: Contact, name: str, email: str, phone: str, actor: AbstractBaseUser
) -> tuple[Contact, list[MergeSuggestion]]:
    """An agent corrects a contact's name, email and phone (what the customer gave on the
    phone or in a form); the new details may reveal duplicates, suggested at once."""
    check_agent(actor)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    contact.name = name.strip()[:200]
    contact.email = normalize_address(AddressKind.EMAIL, email)[:254]
    contact.phone = normalize_address(AddressKind.PHONE, phone)[:32] if phone.strip() else ""
    contact.save(update_fields=["name", "email", "phone", "updated_at"])
    return contact, suggest_merges(contact=contact)
