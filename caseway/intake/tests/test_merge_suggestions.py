"""Intake suggests merges after a message: the sender's identity or an address they wrote."""

import pytest

from caseway.connectors.messages import Sender
from caseway.customers.models import MergeSuggestion
from caseway.customers.tests.factories import ContactFactory
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


def test_a_phone_written_in_an_email_suggests_the_sms_contact(
    make_message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms = receive(
            make_message(channel="sms", sender=Sender(kind="phone", address="+15550001111"))
        )
        mail = receive(
            make_message(
                sender=Sender(kind="email", address="bob@example.com", name="Bob"),
                text="My phone stopped working.\n-- \nBob, +1 555 000 1111",
            )
        )

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


def test_a_new_identity_matching_another_contacts_details_is_suggested(
    make_message, django_capture_on_commit_callbacks
):
    known = ContactFactory(name="Bob", email="", phone="+15550001111")
    with django_capture_on_commit_callbacks(execute=True):
        sms = receive(
            make_message(channel="sms", sender=Sender(kind="phone", address="+1 555 000 1111"))
        )
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.contact_id, suggestion.other_id} == {known.pk, sms.case.contact_id}
    assert suggestion.source == "identity"


def test_a_reply_without_addresses_costs_one_query(
    make_message, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from caseway.intake.events import MessageReceived
    from caseway.intake.handlers import on_message_received

    result = receive(make_message(text="Any news?"))
    event = MessageReceived(
        case_id=result.case.pk, activity_id=result.activity.pk, is_new_case=False, channel="email"
    )
    with django_assert_num_queries(1):
        on_message_received(event)
