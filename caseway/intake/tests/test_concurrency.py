"""Parallel receives against the real database: one message, one case; one sender, one contact."""

import threading

import pytest
from django.db import close_old_connections, connection

from caseway.cases.models import Case
from caseway.connectors.messages import InboundMessage, Sender
from caseway.customers.models import Contact, Identity
from caseway.intake.models import InboundRecord
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _real_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite has table locks, not row locks; proven on PostgreSQL")


def run_in_threads(target, count):
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            target(n)
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_the_same_message_received_in_parallel_makes_one_case():
    msg = InboundMessage(
        channel="email",
        provider_id="<dup@mail.test>",
        sender=Sender(kind="email", address="race@example.com"),
        subject="Race",
        text="same message, four deliveries",
    )
    results = []
    errors = run_in_threads(lambda n: results.append(receive(msg)), 4)
    assert errors == []
    assert Case.objects.count() == 1
    assert InboundRecord.objects.count() == 1
    assert len({r.case.pk for r in results}) == 1
    assert sum(not r.is_replay for r in results) == 1


def test_one_new_sender_writing_in_parallel_becomes_one_contact():
    def send(n: int) -> None:
        receive(
            InboundMessage(
                channel="email",
                provider_id=f"<parallel-{n}@mail.test>",
                sender=Sender(kind="email", address="burst@example.com"),
                subject=f"Message {n}",
                text="hello",
            )
        )

    errors = run_in_threads(send, 4)
    assert errors == []
    assert Contact.objects.count() == 1
    assert Identity.objects.count() == 1
    assert Case.objects.count() == 4
