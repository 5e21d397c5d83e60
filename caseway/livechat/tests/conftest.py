"""Live chat fixtures: a chat queue (chat capacity) that a routing rule sends every chat
case to, an available agent in it, an article the bot can answer from."""

import pytest

from caseway.cases.tests.factories import QueueFactory
from caseway.routing.models import RoutingRule, WorkKind
from caseway.routing.tests.factories import QueueRoutingFactory, make_agent


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def chat_queue(db):
    queue = QueueFactory(name="Chat", slug="chat")
    QueueRoutingFactory(queue=queue, work_kind=WorkKind.CHAT)
    RoutingRule.objects.create(name="Chats", order=1, channels=["chat"], queue=queue)
    return queue


@pytest.fixture
def chat_agent(chat_queue):
    return make_agent(chat_queue, name="Cleo")


@pytest.fixture
def router_article(publish_article):
    return publish_article(
        "Reset your router",
        "Hold the reset button on the back of the router for ten seconds until the lights "
        "blink. The router restarts with its factory settings.",
        questions=["How do I reset my router?", "router factory reset"],
    )
