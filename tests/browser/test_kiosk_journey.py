"""The kiosk story on a portrait touch screen: a visitor asks the help bot, reads an article,
is not helped, leaves a phone number and gets a case number; the screen then clears itself
after the idle time and the server has forgotten the visitor. A second visitor who is still
there keeps their screen by touching it.

Run in a pytest process of its own with DJANGO_ALLOW_ASYNC_UNSAFE=true (`make test` does).
Screenshots of every step go to test-artifacts/browser/kiosk-*.png.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from caseway.cases.models import Activity, Case
from caseway.customers.models import Identity
from caseway.knowledge import services
from tests.browser.pages import Step

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IDLE_SECONDS = 8


def _publish(author, title, body, questions):
    article = services.create_article(title=title, body=body, questions=questions, author=author)
    article = services.submit_for_review(article=article, actor=author)
    article = services.approve_article(article=article, actor=author)
    return services.publish_article(article=article, actor=author)


def _touch_screen(browser, step):
    context = browser.new_context(
        viewport={"width": 1080, "height": 1600}, has_touch=True, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    return context, step.watch(context.new_page())


def test_a_visitor_uses_the_kiosk_and_it_forgets_them(browser, live_server, agent, settings):
    settings.CASEWAY_KIOSK_IDLE_SECONDS = IDLE_SECONDS
    _publish(
        agent,
        "Reset your password",
        "<p>Choose <b>Forgot password</b> on the sign-in page. The link arrives by email "
        "within two minutes and works for one hour.</p><p>No email? Look in your spam "
        "folder, or ask us to check the address we have for you.</p>",
        ["I forgot my password", "cannot log in"],
    )
    _publish(agent, "Download an invoice", "<p>Invoices are under Billing, one PDF a month.</p>",
             ["where is my invoice"])  # fmt: skip
    _publish(agent, "Opening hours of our shops", "<p>Monday to Saturday, 9:00 to 18:00.</p>",
             ["when are you open"])  # fmt: skip
    _publish(agent, "Return a product", "<p>Bring it back within 30 days with the receipt.</p>",
             ["how do I return something"])  # fmt: skip
    from caseway.knowledge.index import reindex_all

    reindex_all()  # the live server's task queue does not run in tests
    step = Step("kiosk-")
    context, page = _touch_screen(browser, step)

    # The start screen: no sign-in, one big question, popular articles, a person at hand.
    page.goto(f"{live_server.url}/kiosk/")
    expect(page.get_by_role("heading", name="Hello! How can we help?")).to_be_visible()
    expect(page.get_by_test_id("kiosk-topics").get_by_role("link")).to_have_count(4)
    expect(page.get_by_role("link", name="Sign in")).to_have_count(0)
    ask = page.get_by_role("button", name="Ask")
    assert ask.bounding_box()["height"] >= 64  # made for fingers
    step.shot(page, "start")

    # The bot answers first, with the passage; the search's other articles follow.
    page.get_by_role("textbox").tap()
    page.get_by_role("textbox").fill("I forgot my password")
    ask.tap()
    expect(page.get_by_test_id("kiosk-answer")).to_contain_text("Forgot password")
    expect(page.get_by_test_id("kiosk-feedback")).to_be_visible()
    step.shot(page, "answer")

    # The whole article, on the kiosk; then back.
    page.get_by_test_id("kiosk-answer-article").tap()
    expect(page.get_by_test_id("kiosk-article")).to_contain_text("spam folder")
    step.shot(page, "article")
    page.get_by_test_id("kiosk-back").tap()

    # Not helped: talk to a person, reachable by phone only.
    page.get_by_role("button", name=re.compile("No")).tap()
    expect(page.get_by_test_id("kiosk-feedback")).to_contain_text("Sorry about that")
    page.get_by_test_id("kiosk-talk-to-person").tap()
    page.get_by_test_id("kiosk-send").tap()
    expect(page.get_by_test_id("kiosk-person-error")).to_contain_text("email address or a phone")
    step.shot(page, "person-needs-a-way-to-answer")
    page.get_by_label("Your name").fill("Vera Visitor")
    page.get_by_label("Mobile phone").fill("+44 7700 900123")
    step.shot(page, "person")
    page.get_by_test_id("kiosk-send").tap()
    number = page.get_by_test_id("kiosk-case-number")
    expect(number).to_have_text(re.compile(r"CW-\d+"))
    expect(page.get_by_test_id("kiosk-done")).to_contain_text("text message at +44 7700 900123")
    step.shot(page, "done")

    # The case came in through intake on the kiosk channel, with the bot's transcript.
    case = Case.objects.get()
    assert case.number == number.inner_text()
    assert case.origin_channel == "kiosk"
    assert Identity.objects.get(contact=case.contact).address == "+447700900123"
    opening = Activity.objects.get(case=case, kind="message_in")
    assert "Customer: I forgot my password" in opening.text
    assert "not helpful" in opening.text

    # Nobody touches the screen: a warning, then it clears and the server forgets.
    session_key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    assert Session.objects.filter(session_key=session_key).exists()
    expect(page.get_by_test_id("kiosk-idle")).to_be_visible(timeout=IDLE_SECONDS * 1000)
    step.shot(page, "still-there")
    expect(page.get_by_role("heading", name="Hello! How can we help?")).to_be_visible(
        timeout=IDLE_SECONDS * 1000
    )
    expect(page).to_have_url(f"{live_server.url}/kiosk/")
    expect(page.get_by_test_id("kiosk-conversation")).to_have_count(0)
    assert not Session.objects.filter(session_key=session_key).exists()
    page.goto(f"{live_server.url}/kiosk/done/")  # the case number is gone with the session
    expect(page).to_have_url(f"{live_server.url}/kiosk/")
    step.shot(page, "cleared")

    # The next visitor is still reading when the warning comes: a touch keeps the screen.
    page.get_by_role("textbox").fill("when are you open")
    page.get_by_role("button", name="Ask").tap()
    expect(page.get_by_test_id("kiosk-answer")).to_contain_text("Monday to Saturday")
    expect(page.get_by_test_id("kiosk-idle")).to_be_visible(timeout=IDLE_SECONDS * 1000)
    page.get_by_role("button", name="I'm still here").tap()
    expect(page.get_by_test_id("kiosk-idle")).to_be_hidden()
    page.wait_for_timeout(IDLE_SECONDS * 1000 // 2 + 500)  # past the first deadline
    expect(page.get_by_test_id("kiosk-answer")).to_contain_text("Monday to Saturday")

    # "Start over" clears at once.
    page.get_by_test_id("kiosk-start-over").tap()
    expect(page.get_by_role("heading", name="Hello! How can we help?")).to_be_visible()
    assert Case.objects.count() == 1
    assert step.js_errors == []
    context.close()
