import pytest
from django.db import IntegrityError

from caseway.customers.models import Contact, Identity, normalize_address
from caseway.customers.services import add_identity, resolve_contact
from caseway.customers.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_unknown_address_creates_contact_and_identity():
    resolved = resolve_contact(kind="email", address="New@Example.COM ", name="Nia New")
    assert resolved.is_new
    assert resolved.contact.name == "Nia New"
    assert resolved.contact.email == "new@example.com"
    assert resolved.identity.address == "new@example.com"


def test_known_address_finds_the_same_contact_in_one_query(django_assert_num_queries):
    first = resolve_contact(kind="email", address="bob@example.com")
    with django_assert_num_queries(1):
        again = resolve_contact(kind="email", address="BOB@example.com")
    assert not again.is_new
    assert again.contact.pk == first.contact.pk
    assert Contact.objects.count() == 1


def test_phone_numbers_are_normalised_so_sms_and_voice_meet():
    sms = resolve_contact(kind="phone", address="+44 (20) 7946-0958")
    call = resolve_contact(kind="phone", address="0044 20 7946 0958")
    assert call.contact.pk == sms.contact.pk
    assert sms.identity.address == "+442079460958"


def test_normalize_keeps_social_ids_as_they_are():
    assert normalize_address("facebook", " 10023AbC ") == "10023AbC"


def test_add_identity_joins_another_address_to_a_contact():
    contact = ContactFactory()
    identity = add_identity(contact=contact, kind="phone", address="+1 555 0100")
    assert identity.contact == contact
    assert add_identity(contact=contact, kind="phone", address="+15550100") == identity


def test_add_identity_refuses_an_address_owned_by_someone_else():
    owner = ContactFactory()
    add_identity(contact=owner, kind="email", address="shared@example.com")
    with pytest.raises(IntegrityError):
        add_identity(contact=ContactFactory(), kind="email", address="shared@example.com")
    assert Identity.objects.get(address="shared@example.com").contact == owner


def test_preferred_through_account(account):
    contact = ContactFactory(account=account)
    assert contact.is_preferred_customer
    assert not ContactFactory().is_preferred_customer
