"""Who may see a contact, its cases and its timeline: the matrix of the customer view."""

import pytest
from django.contrib.auth.models import AnonymousUser

from caseway.cases.models import ActivityKind
from caseway.cases.queries import (
    cases_of_contact,
    contacts_visible_to,
    customer_timeline,
    get_contact_for_user,
    merge_suggestions_visible_to,
)
from caseway.cases.services import add_note, change_status
from caseway.cases.tests.factories import ActivityFactory, CaseFactory, QueueFactory
from caseway.customers.models import Contact, MergeSuggestion
from caseway.customers.tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(default_queue):
    """A contact with one case in the default queue and one in Billing."""
    contact = ContactFactory(name="Pat")
    general = CaseFactory(contact=contact, queue=default_queue, subject="General one")
    billing = CaseFactory(
        contact=contact, queue=QueueFactory(slug="billing-q"), subject="Billing one"
    )
    ActivityFactory(case=general, kind=ActivityKind.MESSAGE_IN, channel="email", text="mail")
    ActivityFactory(case=billing, kind=ActivityKind.MESSAGE_IN, channel="sms", text="text")
    return contact, general, billing


def test_visibility_matrix(person, agent, other_agent, admin_user, customer):
    contact, _general, billing = person
    owner_elsewhere = UserFactory(username="owner", is_staff=True)
    billing.owner = owner_elsewhere
    billing.save(update_fields=["owner"])
    inactive = UserFactory(username="gone", is_staff=True, is_active=False)

    def sees(user):
        return contacts_visible_to(user).filter(pk=contact.pk).exists()

    assert sees(admin_user)
    assert sees(agent)  # works the default queue
    assert not sees(other_agent)  # works another queue
    assert sees(owner_elsewhere)  # owns one of the cases
    assert not sees(inactive)
    assert not sees(customer.user)  # customers never see the workspace's customer view
    assert not sees(AnonymousUser())
    with pytest.raises(Contact.DoesNotExist):
        get_contact_for_user(other_agent, contact.pk)


def test_an_agent_sees_only_the_cases_and_history_of_their_queues(person, agent, admin_user):
    contact, general, billing = person
    assert list(cases_of_contact(agent, contact)) == [general]
    assert set(cases_of_contact(admin_user, contact)) == {general, billing}
    assert [a.text for a in customer_timeline(agent, contact)] == ["mail"]
    assert {a.text for a in customer_timeline(admin_user, contact)} == {"mail", "text"}


def test_the_timeline_is_newest_first_conversations_unless_everything(person, agent):
    contact, general, _ = person
    add_note(case=general, agent=agent, text="internal")
    change_status(case=general, status="active", actor=agent)

    conversation = customer_timeline(agent, contact)
    assert [a.kind for a in conversation] == ["note", "message_in"]
    everything = customer_timeline(agent, contact, everything=True)
    assert [a.kind for a in everything] == ["status_change", "note", "message_in"]
    last = conversation[0]
    assert [a.kind for a in customer_timeline(agent, contact, before=(last.created_at, last.pk))]


def test_a_merged_contact_is_visible_through_its_survivor(person, agent):
    survivor, _, _ = person
    merged = ContactFactory(merged_into=survivor)
    assert get_contact_for_user(agent, merged.pk) == merged


def test_suggestions_show_only_when_the_agent_sees_both_contacts(person, agent, admin_user):
    contact, _, _ = person
    stranger = ContactFactory()
    low, high = sorted([contact, stranger], key=lambda c: c.pk)
    MergeSuggestion.objects.create(
        contact=low, other=high, kind="email", address="x@example.com", source="details",
        created_at=contact.created_at,
    )  # fmt: skip
    assert not merge_suggestions_visible_to(agent).exists()
    assert merge_suggestions_visible_to(admin_user).count() == 1
    CaseFactory(contact=stranger)
    assert merge_suggestions_visible_to(agent).count() == 1
