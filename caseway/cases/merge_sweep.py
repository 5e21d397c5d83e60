"""The merge-suggestion sweep: reads what arrived since its last run and suggests merges.

It runs in the worker every CASEWAY_MERGE_SWEEP_SECONDS, never on the intake path, so
receiving a message costs no query for it. Each run, in one transaction:

1. contacts created since the last run: their identities may be another contact's email or
   phone (a Facebook contact's details, a contact an agent typed in);
2. customer messages since the last run that contain an email address or phone number (a
   signature, "my email is ..."): `customers.suggestions.addresses_in_text`;
3. cases opened on a contact in the instant it was merged away follow the merge
   (`adopt_case_of_merged_contact`).

The cursor row is locked (SKIP LOCKED on PostgreSQL), so several workers never sweep the
same messages twice; a suggestion per pair is stored once anyway.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from caseway.cases.merging import adopt_case_of_merged_contact
from caseway.cases.models import Activity, ActivityKind, Case, MergeSweepCursor
from caseway.customers.models import Contact
from caseway.customers.suggestions import addresses_in_text, suggest_merges

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000


def sweep_merge_suggestions(*, batch: int = SWEEP_BATCH) -> int:
    """One run of the sweep (see the module docstring); returns the suggestions made."""
    made = 0
    with transaction.atomic():
        MergeSweepCursor.objects.get_or_create(pk=1)
        locked = MergeSweepCursor.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        ).filter(pk=1)
        cursor = locked.first()
        if cursor is None:
            return 0  # another worker is sweeping
        messages = list(
            Activity.objects.filter(pk__gt=cursor.last_activity_id, kind=ActivityKind.MESSAGE_IN)
            .order_by("pk")
            .values_list("pk", "text", "author_contact_id", "case_id")[:batch]
        )
        new_contacts = list(
            Contact.objects.filter(pk__gt=cursor.last_contact_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        mentions: dict[int, list[tuple[str, str]]] = defaultdict(list)
        evidence: dict[int, str] = {}
        for _pk, text, contact_id, case_id in messages:
            found = addresses_in_text(text or "")
            if contact_id is not None and found:
                mentions[contact_id] += found
                evidence[contact_id] = f"a message on {Case(pk=case_id).number}"
        wanted = set(mentions) | set(new_contacts)
        for contact in Contact.objects.filter(pk__in=wanted, merged_into__isnull=True):
            made += len(
                suggest_merges(
                    contact=contact,
                    mentioned=dict.fromkeys(mentions.get(contact.pk, ())),
                    evidence=evidence.get(contact.pk, ""),
                )
            )
        if messages:
            cursor.last_activity_id = messages[-1][0]
        if new_contacts:
            cursor.last_contact_id = new_contacts[-1]
        cursor.swept_at = timezone.now()
        cursor.save(update_fields=["last_activity_id", "last_contact_id", "swept_at"])
    for case_id in Case.objects.filter(contact__merged_into__isnull=False).values_list(
        "pk", flat=True
    ):
        adopt_case_of_merged_contact(case_id=case_id)
    if made:
        logger.info("merge sweep: %s suggestions", made)
    return made
