"""The workspace updates live over the agent websocket: an agent has the case list open in
one page and a case in another; a customer submits a case in the portal and the list shows it
without a reload; the customer replies and the case's timeline shows it, while the reply the
agent is typing stays in the composer.

The real ASGI application (HTTP, static files, websockets) runs under uvicorn in a thread, as
`caseway run` serves it. Screenshots go to test-artifacts/browser/live-workspace-*.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory
from caseway.livechat.routing import websocket_application
from caseway.workspace.live_consumer import WorkspaceAgentConsumer
from tests.browser.asgi import served
from tests.browser.pages import Step, new_page, sign_in

# serialized_rollback: the default queue comes from a data migration.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def asgi_server(settings):
    """caseway.config.asgi's application (the workspace's agent consumer) under uvicorn."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    with served(websocket_application(WorkspaceAgentConsumer)) as url:
        yield url


def _live(page) -> None:
    """The page's websocket is up (the server said "ready"), so the 5 s poll is off."""
    page.wait_for_function("window.cwLive === true", timeout=15_000)
    page.evaluate("window.cwNotReloaded = true")


def test_list_and_case_view_follow_the_customer_live(browser, asgi_server, agent):
    customer = UserFactory(username="casey", email="casey@initech.test")
    customer.set_password("casey-secret-1")
    customer.save()
    contact = ContactFactory(name="Casey Customer", email="casey@initech.test", user=customer)
    IdentityFactory(contact=contact)
    agent.set_password("agent-secret-1")
    agent.save()
    step = Step("live-workspace-")
    subject = "The printer prints everything twice"
    question = "Since this morning every page comes out two times."
    follow_up = "It now prints three copies of everything, too."
    draft = "Hello Casey, could you tell me the printer's model"

    # The agent: the list of open cases in one page.
    list_context, list_page = new_page(browser, step)
    sign_in(list_page, f"{asgi_server}/agent/login/", agent.username, "agent-secret-1")
    list_page.goto(f"{asgi_server}/agent/?status=open&owner=any")
    _live(list_page)
    expect(list_page.get_by_test_id("empty-state")).to_be_visible()
    step.shot(list_page, "agent-list-empty")

    # The customer submits a case in the portal.
    customer_context, customer_page = new_page(browser, step)
    sign_in(customer_page, f"{asgi_server}/login/", "casey", "casey-secret-1")
    customer_page.goto(f"{asgi_server}/cases/new/")
    form = customer_page.get_by_test_id("new-case-form")
    form.locator("[name=subject]").fill(subject)
    form.locator("[name=text]").fill(question)
    form.get_by_role("button", name="Submit case").click()
    customer_page.wait_for_url(re.compile(r"/cases/[A-Za-z]+-\d+/$"))
    number = customer_page.url.rstrip("/").rsplit("/", 1)[-1]
    step.shot(customer_page, "customer-case-submitted")

    # The list shows it without a reload (the poll never refreshes "All open").
    row = list_page.get_by_test_id("case-row").filter(has_text=subject)
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text(number)
    assert list_page.evaluate("window.cwNotReloaded") is True
    step.shot(list_page, "agent-list-shows-the-new-case")

    # The agent opens the case in another page and starts typing a reply.
    case_context, case_page = new_page(browser, step)
    sign_in(case_page, f"{asgi_server}/agent/login/", agent.username, "agent-secret-1")
    case_page.goto(f"{asgi_server}/agent/cases/{number}/")
    _live(case_page)
    composer = case_page.get_by_test_id("composer").locator(".pane-reply textarea[name=text]")
    composer.fill(draft)
    step.shot(case_page, "agent-typing-a-reply")

    # The customer replies in the portal.
    reply_form = customer_page.get_by_test_id("reply-form")
    reply_form.locator("textarea[name=text]").fill(follow_up)
    reply_form.locator("button[type=submit]").click()
    expect(customer_page.get_by_test_id("timeline")).to_contain_text(follow_up)
    step.shot(customer_page, "customer-replied")

    # The case view's timeline shows it, and the reply being typed is still there.
    expect(case_page.get_by_test_id("timeline")).to_contain_text(follow_up, timeout=10_000)
    expect(composer).to_have_value(draft)
    assert case_page.evaluate("window.cwNotReloaded") is True
    step.shot(case_page, "agent-sees-the-reply-draft-kept")
    # The list page heard it too and is still live.
    assert list_page.evaluate("window.cwLive") is True
    step.shot(list_page, "agent-list-after-the-reply")

    assert step.js_errors == []
    for context in (list_context, customer_context, case_context):
        context.close()
