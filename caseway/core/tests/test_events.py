from dataclasses import dataclass

import pytest
from django.db import transaction

from caseway.core import events


@dataclass(frozen=True)
class Pinged:
    n: int


@pytest.fixture
def received():
    seen: list[Pinged] = []

    def on_pinged(event: Pinged) -> None:
        seen.append(event)

    events.subscribe(Pinged, on_pinged)
    yield seen
    events.unsubscribe(Pinged, on_pinged)


@pytest.mark.django_db(transaction=True)
def test_handlers_run_only_after_commit(received):
    with transaction.atomic():
        events.publish(Pinged(1))
        assert received == []
    assert received == [Pinged(1)]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_publishes_nothing(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(Pinged(2))
        raise RuntimeError("boom")
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_does_not_stop_the_others(received, caplog):
    def broken(event: Pinged) -> None:
        raise ValueError("handler bug")

    events.subscribe(Pinged, broken)
    try:
        events.publish(Pinged(3))
    finally:
        events.unsubscribe(Pinged, broken)
    assert received == [Pinged(3)]
    assert "handler bug" in caplog.text


def test_subscribing_twice_registers_once(received):
    handler = events.handlers_for(Pinged)[0]
    events.subscribe(Pinged, handler)
    assert events.handlers_for(Pinged).count(handler) == 1
