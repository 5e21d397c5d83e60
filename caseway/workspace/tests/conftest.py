"""Fixtures of the workspace tests: cases made the only way cases are made, through intake."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from caseway.core import events


@pytest.fixture
def receive(make_message) -> Callable[..., Any]:
    """Deliver an inbound message through intake; returns the IntakeResult."""
    from caseway.connectors.messages import Sender
    from caseway.intake.services import receive as intake_receive

    def deliver(*, name: str = "", **overrides: Any) -> Any:
        if name:
            address = overrides.pop("email")
            overrides["sender"] = Sender(kind="email", address=address, name=name)
        return intake_receive(make_message(**overrides))

    return deliver


@pytest.fixture
def case(customer, default_queue, receive):
    """A new case from `customer` (Carol, of the preferred account Globex) in the default queue."""
    return receive(subject="Printer on fire", text="It is on fire.").case


@pytest.fixture
def agent_client(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def published() -> Iterator[list[object]]:
    """Events published after commit, while the test runs (use with captured on_commit)."""
    from caseway.cases.events import ActivityAdded, CaseUpdated
    from caseway.intake.events import ReplySent

    seen: list[object] = []
    types = (ActivityAdded, CaseUpdated, ReplySent)
    for event_type in types:
        events.subscribe(event_type, seen.append)
    yield seen
    for event_type in types:
        events.unsubscribe(event_type, seen.append)


@pytest.fixture
def routed_case(agent, customer, receive, django_capture_on_commit_callbacks):
    """A case routing gave to Ada, who is available (and alone in the default queue)."""
    from caseway.routing.models import Presence
    from caseway.routing.presence import set_presence

    set_presence(agent=agent, presence=Presence.AVAILABLE)
    with django_capture_on_commit_callbacks(execute=True):
        case = receive(subject="Router down", text="Our router is down.").case
    case.refresh_from_db()
    return case
