"""The agent's event stream: a cue whenever something they see changed (server-sent events)."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from caseway.routing.models import Offer, Presence
from caseway.routing.presence import set_presence

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

EVENTS = reverse("workspace:events")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def quick(settings):
    """Check every tenth of a second, for a few seconds at most."""
    settings.CASEWAY_EVENTS_INTERVAL = 0.1
    settings.CASEWAY_EVENTS_LIFETIME = 5


@pytest.fixture(autouse=True)
async def close_connections():
    """Close what the stream's worker thread left open (the test client skips
    request_finished, which closes connections in a server)."""
    yield
    await sync_to_async(connections.close_all)()


async def next_events(content: AsyncIterator[bytes], *, until: str, deadline: float = 5.0):
    """The events read from the stream up to and including one named `until`."""
    found: list[tuple[str, str]] = []
    buffer = ""
    async with asyncio.timeout(deadline):
        while not any(name == until for name, _ in found):
            buffer += (await anext(content)).decode()
            *frames, buffer = buffer.split("\n\n")
            for block in frames:
                fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
                if "event" in fields:
                    found.append((fields["event"], fields.get("data", "")))
    return found


async def test_stream_sends_an_offer_event_when_routing_offers_the_agent_a_case(
    agent, customer, receive
):
    await sync_to_async(set_presence)(agent=agent, presence=Presence.AVAILABLE)
    client = AsyncClient()
    await client.aforce_login(agent)

    response = await client.get(EVENTS)
    content = aiter(response.streaming_content)
    try:
        first = await next_events(content, until="ready")
        case = await sync_to_async(receive)(subject="Router down", text="Down.")
        later = await next_events(content, until="load")
    finally:
        await content.aclose()

    offer = await Offer.objects.aget(case=case.case)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert "no-cache" in response["Cache-Control"]
    assert first == [("ready", "0")]
    names = [name for name, _ in later]
    assert ("offer", str(offer.pk)) in later
    assert "counts" in names and "load" in names


async def test_stream_is_quiet_while_nothing_changes(agent):
    client = AsyncClient()
    await client.aforce_login(agent)

    response = await client.get(EVENTS)
    content = aiter(response.streaming_content)
    try:
        await next_events(content, until="ready")
        with pytest.raises(TimeoutError):
            await next_events(content, until="counts", deadline=0.6)
    finally:
        await content.aclose()


async def test_stream_tells_of_a_presence_change(agent):
    client = AsyncClient()
    await client.aforce_login(agent)

    response = await client.get(EVENTS)
    content = aiter(response.streaming_content)
    try:
        await next_events(content, until="ready")
        await sync_to_async(set_presence)(agent=agent, presence=Presence.AWAY)
        later = await next_events(content, until="load")
    finally:
        await content.aclose()

    assert [name for name, _ in later] == ["presence", "load"]


async def test_stream_ends_after_its_lifetime(agent, settings):
    settings.CASEWAY_EVENTS_LIFETIME = 0.3
    client = AsyncClient()
    await client.aforce_login(agent)

    response = await client.get(EVENTS)
    events = await next_events(aiter(response.streaming_content), until="bye")

    assert events[0][0] == "ready" and events[-1][0] == "bye"


async def test_customers_and_anonymous_users_get_no_stream(customer):
    client = AsyncClient()

    anonymous = await client.get(EVENTS)
    await client.aforce_login(customer.user)
    refused = await client.get(EVENTS)

    assert anonymous.status_code == 401
    assert refused.status_code == 403
