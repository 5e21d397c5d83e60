"""The portal bot hands over to a live chat: a customer asks the bot on the portal, chooses
"Chat with a person now", and the chat widget opens on the same conversation; the agent is
offered it in the console with the bot transcript, accepts, and they talk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from caseway.cases.models import Case
from caseway.core.kinds import ChannelKind
from tests.browser.chat_desk import chat_desk, open_chat_console
from tests.browser.pages import Step, new_page
from tests.browser.test_live_chat_journey import asgi_server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_portal_bot_hands_the_conversation_to_a_live_chat(
    browser,
    asgi_server,  # noqa: F811
    publish_article,
):
    publish_article(
        "Reset your router",
        "Hold the reset button on the back of the router for ten seconds until the lights "
        "blink. The router restarts with its factory settings.",
        questions=["How do I reset my router?", "router factory reset"],
    )
    agent = chat_desk()
    step = Step("bot-chat-")

    agent_context, agent_page = open_chat_console(browser, step, asgi_server)

    customer_context, customer = new_page(browser, step)
    customer.goto(f"{asgi_server}/help/ask/")
    ask = customer.get_by_test_id("assist-form")
    ask.get_by_label("Your question").fill("How do I reset my router?")
    ask.get_by_role("button", name="Ask", exact=True).click()
    # The first answer loads the search's embedding model.
    expect(customer.get_by_text("reset button").first).to_be_visible(timeout=60_000)
    customer.get_by_test_id("assist-person-link").click()
    person = customer.get_by_test_id("assist-person")
    person.get_by_label("Your name").fill("Vic Visitor")
    person.get_by_label("Your email").fill("vic@example.test")
    step.shot(customer, "choose")
    person.get_by_test_id("assist-chat").click()

    expect(customer.get_by_test_id("assist-chat-open")).to_be_visible()
    widget = customer.locator("#caseway-chat")
    # The widget took the session over and shows the bot conversation as the chat's start.
    expect(widget.locator(".line.bot").first).to_contain_text("reset button")
    expect(widget.locator(".line.system").last).to_contain_text("Connecting you")
    step.shot(customer, "widget")

    pane = agent_page.get_by_test_id("chat-pane")
    expect(pane).to_contain_text("Vic Visitor")
    expect(pane.locator(".chat-line.bot")).to_contain_text("reset button")
    pane.get_by_role("button", name="Accept").click()
    expect(widget.locator(".line.system").last).to_contain_text("Cleo joined the chat")
    message = pane.get_by_label("Message — Vic Visitor")
    message.fill("Hello Vic, did the lights blink?")
    message.press("Enter")
    expect(widget.locator(".line.agent")).to_contain_text("did the lights blink?")
    step.shot(customer, "talk")
    step.shot(agent_page, "talk-agent")

    case = Case.objects.get()
    assert case.origin_channel == ChannelKind.CHAT
    assert case.owner_id == agent.pk
    agent_context.close()
    customer_context.close()
