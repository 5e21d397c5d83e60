"""Merging contacts, the customers' part: identities, the survivor's details, the record.

The cases a merge moves are the cases app's part (`caseway.cases.merging`), which calls these
functions inside its own transaction: customers cannot import cases. Both parts lock the
contacts first (`lock_contacts`), then everything else, so merges and unmerges of the same
people wait for each other instead of deadlocking.

Invariants:
- a contact is merged into at most one live contact at a time (`merged_into` never points at
  a merged contact: merging a contact that others were merged into re-points them);
- a merge moves every identity of the merged contact; undoing it moves exactly those back,
  and gives the survivor back the details it filled in unless they were edited since;
- a merge is undone only while its survivor is live (undo later merges first).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from caseway.core.events import publish
from caseway.customers.events import ContactsMerged, ContactsUnmerged
from caseway.customers.exceptions import (
    AlreadyMerged,
    AlreadyUnmerged,
    DifferentAccounts,
    MergeIntoItself,
    NotAllowedToMerge,
    NotAnAgent,
    SurvivorMergedSince,
)
from caseway.customers.models import (
    Contact,
    ContactMerge,
    Identity,
    MergedIdentity,
    MergeSuggestion,
    SuggestionStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MERGE_PERMISSION = "customers.merge_contact"
# The survivor's details a merge fills in when the survivor has none.
FILLED_FIELDS = ("name", "email", "phone")


def can_merge_contacts(user: AbstractBaseUser) -> bool:
    """Agents (active staff) with the merge permission; superusers have it."""
    return bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff", False)
        and user.has_perm(MERGE_PERMISSION)  # type: ignore[attr-defined]
    )


def check_agent(user: AbstractBaseUser) -> None:
    """Raise NotAnAgent unless the user works cases (an active staff user)."""
    if not (user.is_authenticated and user.is_active and getattr(user, "is_staff", False)):
        raise NotAnAgent()


def check_can_merge(user: AbstractBaseUser) -> None:
    if not can_merge_contacts(user):
        raise NotAllowedToMerge()


def user_label(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "Caseway"
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def lock_contacts(ids: Iterable[int]) -> dict[int, Contact]:
    """Lock these contacts and those merged into them, in id order; return them by id.

    Must run inside the caller's transaction. The contacts merged into them are locked too,
    because a merge re-points them; a contact merged in meanwhile is picked up on a second
    look, once the survivor's lock keeps any more from arriving.
    """
    wanted = set(ids)
    locked: dict[int, Contact] = {}
    while True:
        missing = wanted - locked.keys()
        if missing:
            rows = Contact.objects.select_for_update().filter(pk__in=missing).order_by("pk")
            locked.update({contact.pk: contact for contact in rows})
        children = set(
            Contact.objects.filter(merged_into_id__in=locked.keys()).values_list("pk", flat=True)
        )
        if children <= locked.keys():
            return locked
        wanted |= children


def merge_contact_records(
    *, survivor: Contact, merged: Contact, actor: AbstractBaseUser, at: datetime | None = None
) -> ContactMerge:
    """Merge `merged` into `survivor`: its identities move, the survivor fills its blank
    details (and takes the account when it has none), and `merged` stays, pointing at the
    survivor. Both must be locked by the caller (`lock_contacts`); raises MergeRefused."""
    at = at or timezone.now()
    if survivor.pk == merged.pk:
        raise MergeIntoItself()
    if merged.merged_into_id is not None:
        raise AlreadyMerged(str(merged))
    if survivor.merged_into_id is not None:
        raise AlreadyMerged(str(survivor))
    if survivor.account_id and merged.account_id and survivor.account_id != merged.account_id:
        raise DifferentAccounts()
    changes: dict[str, list[object]] = {}
    for field in FILLED_FIELDS:
        if not getattr(survivor, field) and getattr(merged, field):
            changes[field] = [getattr(survivor, field), getattr(merged, field)]
            setattr(survivor, field, getattr(merged, field))
    if survivor.account_id is None and merged.account_id is not None:
        changes["account"] = [None, merged.account_id]
        survivor.account_id = merged.account_id
    if changes:
        survivor.save(update_fields=[*changes, "updated_at"])
    repointed = list(
        Contact.objects.filter(merged_into_id=merged.pk).order_by("pk").values_list("pk", flat=True)
    )
    merge = ContactMerge.objects.create(
        survivor=survivor,
        merged=merged,
        actor=cast("User", actor),
        actor_label=user_label(actor),
        merged_at=at,
        survivor_changes=changes,
        repointed=repointed,
    )
    identity_ids = list(
        Identity.objects.filter(contact_id=merged.pk).order_by("pk").values_list("pk", flat=True)
    )
    MergedIdentity.objects.bulk_create(
        [MergedIdentity(merge=merge, identity_id=pk) for pk in identity_ids]
    )
    Identity.objects.filter(pk__in=identity_ids).update(contact_id=survivor.pk, updated_at=at)
    if repointed:
        Contact.objects.filter(pk__in=repointed).update(merged_into_id=survivor.pk, updated_at=at)
    merged.merged_into = survivor
    merged.merged_at = at
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    _decide_pair(survivor.pk, merged.pk, SuggestionStatus.MERGED, actor, at)
    publish(ContactsMerged(merge_id=merge.pk, survivor_id=survivor.pk, merged_id=merged.pk))
    return merge


def unmerge_contact_records(
    *, merge: ContactMerge, contacts: dict[int, Contact], actor: AbstractBaseUser, at: datetime
) -> ContactMerge:
    """Undo a merge: move back the identities it moved and the contacts it re-pointed, give
    the survivor back the details it filled in (unless edited since). `merge` and the two
    contacts (`contacts`, from `lock_contacts`) must be locked by the caller. The pair is
    then remembered as dismissed: an agent said they are two people."""
    if merge.unmerged_at is not None:
        raise AlreadyUnmerged()
    survivor, merged = contacts[merge.survivor_id], contacts[merge.merged_id]
    if survivor.merged_into_id is not None:
        raise SurvivorMergedSince(str(survivor))
    identity_ids = list(merge.identities.values_list("identity_id", flat=True))
    Identity.objects.filter(pk__in=identity_ids, contact_id=survivor.pk).update(
        contact_id=merged.pk, updated_at=at
    )
    if merge.repointed:
        Contact.objects.filter(pk__in=merge.repointed, merged_into_id=survivor.pk).update(
            merged_into_id=merged.pk, updated_at=at
        )
    restored = []
    for field, (before, after) in merge.survivor_changes.items():
        attname = "account_id" if field == "account" else field
        if getattr(survivor, attname) == after:
            setattr(survivor, attname, before)
            restored.append(field)
    if restored:
        survivor.save(update_fields=[*restored, "updated_at"])
    merged.merged_into = None
    merged.merged_at = None
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    merge.unmerged_at = at
    merge.unmerged_by = cast("User", actor)
    merge.unmerged_by_label = user_label(actor)
    merge.save(update_fields=["unmerged_at", "unmerged_by", "unmerged_by_label"])
    _decide_pair(survivor.pk, merged.pk, SuggestionStatus.DISMISSED, actor, at)
    publish(ContactsUnmerged(merge_id=merge.pk, survivor_id=survivor.pk, merged_id=merged.pk))
    return merge


def _decide_pair(a: int, b: int, status: str, actor: AbstractBaseUser | None, at: datetime) -> None:
    """Record the agent's verdict on a pair, whether or not it had been suggested."""
    low, high = min(a, b), max(a, b)
    updated = MergeSuggestion.objects.filter(contact_id=low, other_id=high).update(
        status=status,
        decided_at=at,
        decided_by=cast("User | None", actor),
        decided_by_label=user_label(actor),
    )
    if not updated:
        MergeSuggestion.objects.create(
            contact_id=low,
            other_id=high,
            kind="",
            address="",
            source="",
            status=status,
            created_at=at,
            decided_at=at,
            decided_by=cast("User | None", actor),
            decided_by_label=user_label(actor),
        )
