"""Merges racing each other and racing new messages, on a database with row locks."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import close_old_connections, connection

from caseway.cases.merge_sweep import sweep_merge_suggestions
from caseway.cases.merging import merge_contacts
from caseway.cases.models import Case
from caseway.connectors.messages import InboundMessage, Sender
from caseway.customers.exceptions import MergeRefused
from caseway.customers.models import Contact, ContactMerge, Identity
from caseway.customers.tests.factories import UserFactory
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _real_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite has table locks, not row locks; proven on PostgreSQL")


@pytest.fixture
def merger(db):
    user = UserFactory(username="merger", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    return type(user).objects.get(pk=user.pk)


def _contact(address: str, kind: str = "email", channel: str = "email") -> Contact:
    result = receive(
        InboundMessage(
            channel=channel,
            provider_id=f"first-{address}",
            sender=Sender(kind=kind, address=address),
            text="hello",
        )
    )
    return result.case.contact


def run_in_threads(targets):
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def worker(target) -> None:
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as exc:  # noqa: BLE001 - collected and checked by the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_one_contact_merged_into_two_survivors_at_once_is_merged_once(merger):
    sms = _contact("+15550001111", kind="phone", channel="sms")
    one, two = _contact("one@example.com"), _contact("two@example.com")

    errors = run_in_threads(
        [
            lambda: merge_contacts(survivor=one, merged=sms, actor=merger),
            lambda: merge_contacts(survivor=two, merged=sms, actor=merger),
        ]
    )

    assert len(errors) == 1 and isinstance(errors[0], MergeRefused)
    merge = ContactMerge.objects.get()
    assert Identity.objects.get(address="+15550001111").contact_id == merge.survivor_id
    assert Case.objects.filter(contact=sms).count() == 0


def test_two_contacts_merged_into_each_other_at_once_do_not_deadlock(merger):
    a, b = _contact("a@example.com"), _contact("b@example.com")

    errors = run_in_threads(
        [
            lambda: merge_contacts(survivor=a, merged=b, actor=merger),
            lambda: merge_contacts(survivor=b, merged=a, actor=merger),
        ]
    )

    assert len(errors) == 1 and isinstance(errors[0], MergeRefused)
    assert Contact.objects.filter(merged_into__isnull=True).count() == 1
    assert Case.objects.values("contact_id").distinct().count() == 1


def test_messages_arriving_during_a_merge_end_on_the_survivor(merger):
    survivor = _contact("bob@example.com")
    sms = _contact("+15550002222", kind="phone", channel="sms")

    def texts() -> None:
        for n in range(10):
            receive(
                InboundMessage(
                    channel="sms",
                    provider_id=f"race-{n}",
                    sender=Sender(kind="phone", address="+15550002222"),
                    text=f"message {n}",
                )
            )

    errors = run_in_threads(
        [texts, lambda: merge_contacts(survivor=survivor, merged=sms, actor=merger)]
    )

    assert errors == []
    # A message resolved just before the merge committed opened its case on the merged
    # contact; the worker's sweep moves it.
    sweep_merge_suggestions()
    assert Case.objects.filter(contact=sms).count() == 0
    assert Case.objects.filter(contact=survivor).count() == 12
