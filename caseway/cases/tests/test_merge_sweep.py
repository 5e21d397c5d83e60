"""The merge-suggestion sweep: new contacts and addresses written in messages."""

import pytest

from caseway.cases.merge_sweep import sweep_merge_suggestions
from caseway.cases.merging import merge_contacts
from caseway.cases.models import MergeSweepCursor
from caseway.cases.tests.factories import CaseFactory
from caseway.connectors.messages import Sender
from caseway.customers.models import MergeSuggestion
from caseway.customers.tests.factories import ContactFactory
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


def test_a_phone_written_in_an_email_suggests_the_sms_contact(make_message):
    sms = receive(make_message(channel="sms", sender=Sender(kind="phone", address="+15550001111")))
    mail = receive(
        make_message(
            sender=Sender(kind="email", address="bob@example.com", name="Bob"),
            text="My phone stopped working.\n-- \nBob, +1 555 000 1111",
        )
    )

    assert sweep_merge_suggestions() == 1

    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.contact_id, suggestion.other_id} == {
        sms.case.contact_id,
        mail.case.contact_id,
    }
    assert (suggestion.kind, suggestion.address, suggestion.source) == (
        "phone",
        "+15550001111",
        "message",
    )
    assert suggestion.evidence == f"a message on {mail.case.number}"


def test_a_new_identity_matching_another_contacts_details_is_suggested(make_message):
    known = ContactFactory(name="Bob", email="", phone="+15550001111")
    sms = receive(
        make_message(channel="sms", sender=Sender(kind="phone", address="+1 555 000 1111"))
    )
    sweep_merge_suggestions()
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.contact_id, suggestion.other_id} == {known.pk, sms.case.contact_id}


def test_the_sweep_reads_each_message_once(make_message, django_assert_max_num_queries):
    receive(make_message(text="call me on +15550001111"))
    sweep_merge_suggestions()
    cursor = MergeSweepCursor.objects.get()
    assert cursor.last_activity_id > 0 and cursor.last_contact_id > 0
    # Nothing new: the cursor, the two reads, the save and the merged-contact check.
    with django_assert_max_num_queries(8):
        assert sweep_merge_suggestions() == 0


def test_the_sweep_moves_a_case_opened_on_a_contact_being_merged(default_queue):
    from django.contrib.auth.models import Permission

    from caseway.customers.tests.factories import UserFactory

    merger = UserFactory(username="m", is_staff=True)
    merger.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    merger = type(merger).objects.get(pk=merger.pk)
    survivor, merged = ContactFactory(), ContactFactory()
    merge_contacts(survivor=survivor, merged=merged, actor=merger)
    late = CaseFactory(contact=merged, queue=default_queue)

    sweep_merge_suggestions()

    late.refresh_from_db()
    assert late.contact == survivor
