"""Reactions of intake to its own events, after commit."""

from __future__ import annotations

from caseway.cases.merging import adopt_case_of_merged_contact
from caseway.cases.models import Activity, Case
from caseway.customers.models import Contact
from caseway.customers.suggestions import addresses_in_text, suggest_merges
from caseway.intake.events import MessageReceived


def on_message_received(event: MessageReceived) -> None:
    """Look for another contact of the same person: when the sender is new to a case (their
    identity may be another contact's email or phone) or wrote an email address or phone
    number (a signature). One query for a reply that mentions no address.

    A message resolved to its contact in the instant that contact was merged away lands on
    the merged contact: its case follows the merge to the survivor here.
    """
    row = (
        Activity.objects.filter(pk=event.activity_id)
        .values_list("text", "author_contact_id", "case__contact__merged_into_id")
        .first()
    )
    if row is None or row[1] is None:
        return
    text, contact_id, case_contact_merged_into = row
    if case_contact_merged_into is not None:
        adopt_case_of_merged_contact(case_id=event.case_id)
        return
    mentioned = addresses_in_text(text or "")
    if not mentioned and not event.is_new_case:
        return
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return
    number = Case(pk=event.case_id).number
    suggest_merges(contact=contact, mentioned=mentioned, evidence=f"a message on {number}")
