"""Merge suggestions: shared normalised emails and phone numbers, remembered verdicts."""

import pytest
from django.contrib.auth.models import Permission

from caseway.customers.exceptions import NotAllowedToMerge, NotAnAgent, SuggestionDecided
from caseway.customers.models import Contact, MergeSuggestion
from caseway.customers.suggestions import (
    addresses_in_text,
    dismiss_suggestion,
    suggest_merges,
    update_contact_details,
)
from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merger(db):
    user = UserFactory(username="merger", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    return type(user).objects.get(pk=user.pk)


def test_addresses_in_text_finds_signature_emails_and_phones():
    text = "Thanks!\n--\nBob Smith\nBob.Smith@Example.com | +1 (555) 000-1111\nOrder 1234"
    assert addresses_in_text(text) == [
        ("email", "bob.smith@example.com"),
        ("phone", "+15550001111"),
    ]


def test_addresses_in_text_ignores_short_numbers_and_dates():
    assert addresses_in_text("Order 1234 of 2026-11-30, ref 55-12") == []


def test_a_pair_is_suggested_once_and_a_dismissal_is_remembered(merger):
    one = ContactFactory(email="bob@example.com")
    two = ContactFactory(email="", phone="")
    IdentityFactory(contact=two, kind="email", address="bob@example.com")

    first = suggest_merges(contact=two)
    assert len(first) == 1 and first[0].status == "open"
    assert suggest_merges(contact=two) == []
    assert suggest_merges(contact=one) == []

    dismiss_suggestion(suggestion=first[0], actor=merger)
    assert suggest_merges(contact=one) == []
    assert MergeSuggestion.objects.get().status == "dismissed"
    with pytest.raises(SuggestionDecided):
        dismiss_suggestion(suggestion=first[0], actor=merger)


def test_dismissing_needs_the_merge_permission(agent):
    one = ContactFactory(email="bob@example.com")
    two = ContactFactory(email="bob@example.com")
    (suggestion,) = suggest_merges(contact=two)
    with pytest.raises(NotAllowedToMerge):
        dismiss_suggestion(suggestion=suggestion, actor=agent)
    assert one.pk < two.pk and suggestion.contact_id == one.pk


def test_merged_contacts_are_never_suggested():
    survivor = ContactFactory(email="")
    ContactFactory(email="bob@example.com", merged_into=survivor)
    asker = ContactFactory(email="bob@example.com")
    assert suggest_merges(contact=asker) == []


def test_an_agent_correcting_details_gets_the_duplicate_suggested(agent):
    by_mail = ContactFactory(email="bob@example.com")
    from_facebook = ContactFactory(name="", email="")
    IdentityFactory(contact=from_facebook, kind="facebook", address="fb-1")

    contact, suggestions = update_contact_details(
        contact=from_facebook, name="Bob", email=" Bob@Example.com", phone="", actor=agent
    )

    assert contact.email == "bob@example.com"
    assert [(s.contact_id, s.other_id, s.source) for s in suggestions] == [
        (by_mail.pk, from_facebook.pk, "details")
    ]
    with pytest.raises(NotAnAgent):
        update_contact_details(
            contact=contact, name="X", email="", phone="", actor=UserFactory(username="nobody")
        )
    assert Contact.objects.get(pk=contact.pk).name == "Bob"
