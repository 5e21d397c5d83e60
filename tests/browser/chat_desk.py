"""What the live chat journeys share: a chat queue that routing fills with every chat, its
agent Cleo, and her chat console open and signed in."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from caseway.cases.tests.factories import QueueFactory
from caseway.routing.models import RoutingRule, WorkKind
from caseway.routing.tests.factories import QueueRoutingFactory, make_agent
from tests.browser.pages import Step, new_page, sign_in

AGENT_USERNAME, AGENT_PASSWORD = "cleo", "cleo-secret-1"


def chat_desk() -> Any:
    """A chat queue, a rule sending every chat case to it, and its one agent (returned)."""
    queue = QueueFactory(name="Chat", slug="chat")
    QueueRoutingFactory(queue=queue, work_kind=WorkKind.CHAT)
    RoutingRule.objects.create(name="Chats", order=1, channels=["chat"], queue=queue)
    agent = make_agent(queue, name="Cleo")
    agent.set_password(AGENT_PASSWORD)
    agent.save()
    return agent


def open_chat_console(browser: Browser, step: Step, server: str) -> tuple[BrowserContext, Page]:
    """The agent's page, signed in, on the chat console."""
    context, page = new_page(browser, step)
    sign_in(page, f"{server}/agent/login/", AGENT_USERNAME, AGENT_PASSWORD)
    page.goto(f"{server}/agent/chat/")
    return context, page
