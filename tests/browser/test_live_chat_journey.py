"""The live chat story in two real browsers: a visitor on another site with the one script
tag, the bot, the handoff, the agent's console, a canned response, the end, the timeline."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from caseway.cases.models import ActivityKind, Case
from caseway.livechat.models import CannedResponse
from caseway.livechat.routing import websocket_application
from tests.browser.asgi import served
from tests.browser.chat_desk import chat_desk, open_chat_console
from tests.browser.pages import Step, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server():
    """The real ASGI application (HTTP, static files, websockets) under uvicorn in a thread."""
    with served(websocket_application()) as url:
        yield url


@pytest.fixture
def shop_site(asgi_server):
    """Someone else's site: one page with the widget's one script tag."""
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Globex shop</title></head><body style='font-family:sans-serif;margin:40px'>"
        "<h1>Globex routers</h1><p>Fast routers for small offices.</p>"
        f"<script src='{asgi_server}/static/livechat/widget.js' data-title='Chat with Globex' "
        "defer></script></body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_visitor_bot_handoff_agent_canned_response_end(
    browser, asgi_server, shop_site, settings, publish_article
):
    settings.CASEWAY_CHAT_ALLOWED_ORIGINS = [shop_site]
    publish_article(
        "Reset your router",
        "Hold the reset button on the back of the router for ten seconds until the lights "
        "blink. The router restarts with its factory settings.",
        questions=["How do I reset my router?", "router factory reset"],
    )
    chat_desk()
    CannedResponse.objects.create(
        title="Anything else", shortcut="else", text="Is there anything else I can help with?"
    )
    step = Step("chat-")

    agent_context, agent_page = open_chat_console(browser, step, asgi_server)
    expect(agent_page.get_by_text("No chats yet")).to_be_visible()

    visitor_context, visitor = new_page(browser, step)
    visitor.goto(shop_site)
    widget = visitor.locator("#caseway-chat")
    widget.get_by_role("button", name="Chat with Globex").click()
    widget.get_by_label("Name").fill("Vic Visitor")
    widget.get_by_label("Email").fill("vic@example.test")
    widget.get_by_label("Your question").fill("How do I reset my router?")
    step.shot(visitor, "prechat")
    widget.get_by_role("button", name="Start chat").click()
    # The first answer loads the search's embedding model.
    expect(widget.locator(".line.bot")).to_contain_text("reset button", timeout=60_000)
    step.shot(visitor, "bot-answer")

    widget.get_by_role("button", name="Talk to a person").click()
    expect(widget.locator(".line.system")).to_contain_text("Connecting you")

    pane = agent_page.get_by_test_id("chat-pane")
    expect(pane).to_contain_text("Vic Visitor")
    expect(pane.locator(".chat-line.bot")).to_contain_text("reset button")
    step.shot(agent_page, "offer")
    pane.get_by_role("button", name="Accept").click()
    expect(widget.locator(".line.system").last).to_contain_text("Cleo joined the chat")
    expect(pane.get_by_test_id("chat-context")).to_be_visible()

    message = pane.get_by_label("Message — Vic Visitor")
    message.fill("Hello Vic, I can help.")
    message.press("Enter")
    expect(widget.locator(".line.agent")).to_contain_text("Hello Vic, I can help.")

    text = widget.get_by_label("Message")
    text.fill("The lights blink but nothing happens")
    expect(pane.locator(".chat-meta")).to_contain_text("typing")
    text.press("Enter")
    expect(pane.locator(".chat-line.visitor").last).to_contain_text("nothing happens")
    expect(widget.locator(".line.visitor .read").last).to_be_visible()

    pane.get_by_label("Canned response").select_option(label="Anything else")
    expect(message).to_have_value("Is there anything else I can help with?")
    pane.get_by_role("button", name="Send").click()
    expect(widget.locator(".line.agent").last).to_contain_text("anything else I can help")
    step.shot(visitor, "talking")
    step.shot(agent_page, "console")

    # A reload draws the whole transcript again, each line once.
    visitor.reload()
    widget.get_by_role("button", name="Chat with Globex").click()
    expect(widget.locator(".line.agent").last).to_contain_text("anything else I can help")
    expect(widget.locator(".line.bot")).to_contain_text("reset button")
    expect(widget.locator(".line.visitor", has_text="nothing happens")).to_have_count(1)
    expect(widget.locator(".line.visitor .read").last).to_be_visible()

    pane.get_by_role("button", name="End chat").click()
    expect(widget.locator(".meta")).to_contain_text("This chat has ended")
    step.shot(visitor, "ended")

    case = Case.objects.get()
    agent_page.goto(f"{asgi_server}/agent/cases/{case.number}/")
    timeline = agent_page.locator("body")
    expect(timeline).to_contain_text("Customer: How do I reset my router?")
    expect(timeline).to_contain_text("The lights blink but nothing happens")
    expect(timeline).to_contain_text("Is there anything else I can help with?")
    expect(timeline).to_contain_text("Live chat with Vic Visitor ended")
    step.shot(agent_page, "timeline")
    kinds = list(case.activities.values_list("kind", flat=True))
    assert kinds.count(ActivityKind.MESSAGE_OUT) == 2
    assert not step.js_errors
    visitor_context.close()
    agent_context.close()


def test_the_widget_fills_a_phone_screen_and_keeps_focus_inside(
    browser, asgi_server, shop_site, settings
):
    settings.CASEWAY_CHAT_ALLOWED_ORIGINS = [shop_site]
    step = Step("chat-phone-")
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = step.watch(context.new_page())
    page.goto(shop_site)
    widget = page.locator("#caseway-chat")
    launcher = widget.get_by_role("button", name="Chat with Globex")
    launcher.click()
    name = widget.get_by_label("Name")
    expect(name).to_be_focused()
    box = widget.get_by_role("dialog").bounding_box()
    assert box["width"] == 390
    assert box["height"] == 844
    step.shot(page, "prechat")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.get_by_role("alert")).to_contain_text("fill in your name")
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    assert not step.js_errors
    context.close()
