"""Merging and unmerging contacts with their cases: one person, one contact, one history.

Customers owns the contacts' part (`caseway.customers.merging`: identities, details, the
record); this module adds the cases, in the same transaction, and is what interfaces call.
Lock order: the contacts (and those merged into them), the merge record, then the cases in
id order. Every case that changes gets an audit entry and a `cases.MergedCase` row holding
its contact and account before, which is exactly what an unmerge puts back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from caseway.cases.events import CaseUpdated
from caseway.cases.models import AuditEntry, Case, MergedCase
from caseway.core.events import publish
from caseway.customers.merging import (
    check_can_merge,
    lock_contacts,
    merge_contact_records,
    unmerge_contact_records,
    user_label,
)
from caseway.customers.models import Account, Contact, ContactMerge
from caseway.customers.suggestions import suggest_merges

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def merge_contacts(*, survivor: Contact, merged: Contact, actor: AbstractBaseUser) -> ContactMerge:
    """Merge `merged` into `survivor`: identities, cases (contact and account) and blank
    details move to the survivor; `merged` is kept, pointing at it. Raises MergeRefused
    (itself, already merged, different accounts, no permission)."""
    check_can_merge(actor)
    at = timezone.now()
    contacts = lock_contacts([survivor.pk, merged.pk])
    survivor, merged = contacts[survivor.pk], contacts[merged.pk]
    labels = {survivor.pk: str(survivor), merged.pk: str(merged)}
    merge = merge_contact_records(survivor=survivor, merged=merged, actor=actor, at=at)
    account_id = survivor.account_id
    cases = list(
        Case.objects.select_for_update()
        .filter(Q(contact_id=merged.pk) | Q(contact_id=survivor.pk))
        .order_by("pk")
    )
    moved = [c for c in cases if c.contact_id == merged.pk or c.account_id != account_id]
    MergedCase.objects.bulk_create(
        [
            MergedCase(
                merge=merge,
                case_id=case.pk,
                contact_before_id=case.contact_id,
                account_before_id=case.account_id,
            )
            for case in moved
        ]
    )
    accounts = _account_names([account_id, *(c.account_id for c in moved)])
    audit = []
    for case in moved:
        if case.contact_id != survivor.pk:
            audit.append(
                _audit(case, actor, "contact", labels[case.contact_id], labels[survivor.pk], at)
            )
        if case.account_id != account_id:
            before, after = accounts[case.account_id], accounts[account_id]
            audit.append(_audit(case, actor, "account", before, after, at))
    AuditEntry.objects.bulk_create(audit)
    Case.objects.filter(pk__in=[c.pk for c in moved]).update(
        contact_id=survivor.pk, account_id=account_id, updated_at=at
    )
    for case in moved:
        publish(CaseUpdated(case_id=case.pk, fields=("contact", "account")))
    # The survivor now holds more addresses: they may reveal another duplicate.
    suggest_merges(contact=survivor)
    return merge


@transaction.atomic
def unmerge_contacts(*, merge: ContactMerge, actor: AbstractBaseUser) -> ContactMerge:
    """Undo a merge: the identities, cases and details it moved go back exactly, and the
    merged contact is live again. Cases opened on the survivor since stay there. Raises
    MergeRefused (already undone, survivor merged since, no permission)."""
    check_can_merge(actor)
    at = timezone.now()
    contacts = lock_contacts([merge.survivor_id, merge.merged_id])
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    merge = unmerge_contact_records(merge=merge, contacts=contacts, actor=actor, at=at)
    survivor_id = merge.survivor_id
    rows = list(merge.cases.order_by("case_id"))
    cases = {
        case.pk: case
        for case in Case.objects.select_for_update()
        .filter(pk__in=[row.case_id for row in rows], contact_id=survivor_id)
        .order_by("pk")
    }
    labels = {pk: str(contact) for pk, contact in contacts.items()}
    rows = [row for row in rows if row.case_id in cases]
    accounts = _account_names(
        [*(row.account_before_id for row in rows), *(c.account_id for c in cases.values())]
    )
    audit = []
    restore: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for row in rows:
        case = cases[row.case_id]
        if case.contact_id != row.contact_before_id:
            before, after = labels[case.contact_id], labels[row.contact_before_id]
            audit.append(_audit(case, actor, "contact", before, after, at))
        if case.account_id != row.account_before_id:
            before, after = accounts[case.account_id], accounts[row.account_before_id]
            audit.append(_audit(case, actor, "account", before, after, at))
        restore[(row.contact_before_id, row.account_before_id)].append(case.pk)
    # One UPDATE per (contact, account) before: at most a handful.
    for (contact_id, account_id), case_ids in restore.items():
        Case.objects.filter(pk__in=case_ids).update(
            contact_id=contact_id, account_id=account_id, updated_at=at
        )
    AuditEntry.objects.bulk_create(audit)
    for row in rows:
        publish(CaseUpdated(case_id=row.case_id, fields=("contact", "account")))
    return merge


@transaction.atomic
def adopt_case_of_merged_contact(*, case_id: int) -> bool:
    """Move a case that was opened for a contact while it was being merged away (intake
    resolved the sender just before the merge committed) to the survivor, as part of that
    merge, so an unmerge takes it back too. Returns whether it moved; safe to run twice."""
    case = Case.objects.select_for_update(of=("self",)).select_related("contact").get(pk=case_id)
    contact = case.contact
    merge = ContactMerge.objects.filter(merged=contact, unmerged_at__isnull=True).first()
    if contact.merged_into_id is None or merge is None:
        return False
    survivor = Contact.objects.get(pk=contact.merged_into_id)
    at = timezone.now()
    MergedCase.objects.get_or_create(
        merge=merge,
        case=case,
        defaults={"contact_before": contact, "account_before_id": case.account_id},
    )
    accounts = _account_names([case.account_id, survivor.account_id])
    audit = [_audit_system(case, "contact", str(contact), str(survivor), at)]
    if case.account_id != survivor.account_id:
        audit.append(
            _audit_system(
                case, "account", accounts[case.account_id], accounts[survivor.account_id], at
            )
        )
    AuditEntry.objects.bulk_create(audit)
    Case.objects.filter(pk=case.pk).update(
        contact_id=survivor.pk, account_id=survivor.account_id, updated_at=at
    )
    publish(CaseUpdated(case_id=case.pk, fields=("contact", "account")))
    return True


def _audit_system(case: Case, field: str, before: str, after: str, at: datetime) -> AuditEntry:
    return AuditEntry(
        case=case, actor=None, actor_label="Caseway", field=field,
        before=before[:300], after=after[:300], at=at,
    )  # fmt: skip


def _account_names(ids: Iterable[int | None]) -> dict[int | None, str]:
    """Account names for audit entries, in one query; None is no account."""
    wanted = {pk for pk in ids if pk is not None}
    names: dict[int | None, str] = {None: ""}
    if wanted:
        names.update(Account.objects.filter(pk__in=wanted).values_list("pk", "name"))
    return names


def _audit(
    case: Case, actor: AbstractBaseUser, field: str, before: str, after: str, at: datetime
) -> AuditEntry:
    return AuditEntry(
        case=case,
        actor=cast("User", actor),
        actor_label=user_label(actor),
        field=field,
        before=before[:300],
        after=after[:300],
        at=at,
    )
