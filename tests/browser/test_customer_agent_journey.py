"""A customer submits a case in the portal, an agent answers it in the workspace, and the
customer sees the reply but never the agent's internal note.

Drives Debian's Chromium through Playwright against pytest-django's live server. Run in a
pytest process of its own with DJANGO_ALLOW_ASYNC_UNSAFE=true (`make test` does both).
Screenshots of every step go to test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory
from tests.browser.pages import Step, new_page, sign_in

# serialized_rollback: the live server needs committed data, and the default queue comes from
# a data migration that a transactional test would otherwise flush away.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_customer_sees_the_agents_reply_but_not_the_internal_note(browser, live_server, agent):
    customer = UserFactory(username="casey", email="casey@initech.test")
    customer.set_password("casey-secret-1")
    customer.save()
    contact = ContactFactory(name="Casey Customer", email="casey@initech.test", user=customer)
    IdentityFactory(contact=contact)
    agent.set_password("agent-secret-1")
    agent.save()
    step = Step()
    subject = "Router drops the connection every evening"
    question = "Since Monday the internet stops at about 8 pm and comes back an hour later."
    reply = "Thanks Casey: please send us the router's model number and we will check the line."
    note = "Line test shows noise after 19:00; probably the street cabinet again."

    # The customer signs in and submits a case.
    customer_context, customer_page = new_page(browser, step)
    customer_page.goto(f"{live_server.url}/login/")
    step.shot(customer_page, "customer-sign-in")
    sign_in(customer_page, f"{live_server.url}/login/", "casey", "casey-secret-1")
    customer_page.goto(f"{live_server.url}/cases/new/")
    form = customer_page.get_by_test_id("new-case-form")
    form.locator("[name=subject]").fill(subject)
    form.locator("[name=text]").fill(question)
    step.shot(customer_page, "customer-new-case-form")
    form.get_by_role("button", name="Submit case").click()
    customer_page.wait_for_url(re.compile(r"/cases/[A-Za-z]+-\d+/$"))
    number = customer_page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(customer_page.get_by_test_id("timeline")).to_contain_text(question)
    step.shot(customer_page, "customer-case-submitted")

    # An agent of the General queue signs in, replies and adds an internal note.
    agent_context, agent_page = new_page(browser, step)
    sign_in(agent_page, f"{live_server.url}/agent/login/", agent.username, "agent-secret-1")
    step.shot(agent_page, "agent-case-list")
    agent_page.goto(f"{live_server.url}/agent/cases/{number}/")
    timeline = agent_page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(question)
    step.shot(agent_page, "agent-case-view")

    reply_form = agent_page.get_by_test_id("reply-form")
    reply_form.locator("textarea[name=text]").fill(reply)
    reply_form.get_by_role("button", name="Send reply").click()
    expect(timeline).to_contain_text(reply)
    step.shot(agent_page, "agent-replied")

    agent_page.get_by_role("tab", name="Internal note").click()
    note_form = agent_page.get_by_test_id("note-form")
    note_form.locator("textarea[name=text]").fill(note)
    note_form.get_by_role("button", name="Add note").click()
    expect(timeline).to_contain_text(note)
    step.shot(agent_page, "agent-added-note")

    # The customer reloads the case: the reply is there, the note is not.
    customer_page.goto(f"{live_server.url}/cases/{number}/")
    customer_timeline = customer_page.get_by_test_id("timeline")
    expect(customer_timeline).to_contain_text(reply)
    expect(customer_timeline).not_to_contain_text(note)
    assert note not in customer_page.content()
    step.shot(customer_page, "customer-sees-reply-not-note")

    assert step.js_errors == []
    agent_context.close()
    customer_context.close()
