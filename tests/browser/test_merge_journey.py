"""One person, two channels: Bob emails (signing with his mobile number) and texts. The
workspace suggests they are one person, the agent merges them and sees one timeline with
both channels, then unmerges.

Run in a pytest process of its own with DJANGO_ALLOW_ASYNC_UNSAFE=true (`make test` does).
Screenshots of every step go to test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from caseway.cases.merge_sweep import sweep_merge_suggestions
from caseway.connectors.messages import InboundMessage, Sender
from caseway.customers.models import Contact
from caseway.intake.services import receive
from tests.browser.pages import Step, new_page, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_agent_merges_the_sms_and_email_contacts_then_unmerges(browser, live_server, agent):
    agent.set_password("agent-secret-1")
    agent.save()
    agent.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    texted = receive(
        InboundMessage(
            channel="sms",
            provider_id="SM0001",
            sender=Sender(kind="phone", address="+15550001111"),
            text="Hi, the internet is down at home again since this morning.",
            continues_conversation=True,
        )
    )
    mailed = receive(
        InboundMessage(
            channel="email",
            provider_id="<invoice-1@example.com>",
            sender=Sender(kind="email", address="bob@example.com", name="Bob Smith"),
            subject="My invoice charges the router twice",
            text="Hello,\n\nthe November invoice lists the router twice.\n\n--\n"
            "Bob Smith\nmobile +1 (555) 000-1111",
        )
    )
    sweep_merge_suggestions()  # what the worker does every MERGE_SWEEP_SECONDS
    step = Step("merge-")
    context, page = new_page(browser, step)
    sign_in(page, f"{live_server.url}/agent/login/", agent.username, "agent-secret-1")

    # The suggestion is listed with the possible duplicates.
    page.get_by_test_id("nav-customers").click()
    expect(page.get_by_test_id("merge-suggestion")).to_contain_text("+15550001111")
    step.shot(page, "possible-duplicates")

    # From the email case to the customer view: the suggestion is waiting there too.
    page.goto(f"{live_server.url}/agent/cases/{mailed.case.number}/")
    step.shot(page, "case-view")
    page.get_by_test_id("customer-view-link").click()
    page.wait_for_url(re.compile(r"/agent/customers/\d+/$"))
    suggestion = page.get_by_test_id("merge-suggestion")
    expect(suggestion).to_contain_text("+15550001111")
    expect(suggestion).to_contain_text(mailed.case.number)
    expect(page.get_by_test_id("customer-entry")).to_have_count(1)
    step.shot(page, "suggestion")

    # The agent merges: one timeline with both channels, both identities, both cases.
    page.get_by_test_id("merge-suggestion-button").click()
    expect(page.get_by_test_id("flash-success")).to_contain_text("was merged into Bob Smith")
    timeline = page.get_by_test_id("customer-timeline")
    expect(timeline.locator("[data-channel=sms]")).to_have_count(1)
    expect(timeline.locator("[data-channel=email]")).to_have_count(1)
    expect(page.get_by_test_id("identity")).to_have_count(2)
    expect(page.get_by_test_id("customer-cases")).to_contain_text(texted.case.number)
    expect(page.get_by_test_id("merge-suggestion")).to_have_count(0)
    step.shot(page, "merged")

    # A new SMS lands on the same person.
    receive(
        InboundMessage(
            channel="sms",
            provider_id="SM0002",
            sender=Sender(kind="phone", address="+15550001111"),
            text="It works again, thanks!",
            continues_conversation=True,
        )
    )
    page.reload()
    expect(timeline.locator("[data-channel=sms]")).to_have_count(2)
    step.shot(page, "new-sms-after-merge")
    page.get_by_role("link", name="Everything").click()
    expect(page.get_by_role("link", name="Everything")).to_have_class(re.compile("is-active"))
    expect(timeline.locator("[data-channel=sms]")).to_have_count(2)

    # The case view of the SMS case now names Bob Smith.
    page.goto(f"{live_server.url}/agent/cases/{texted.case.number}/")
    expect(page.get_by_test_id("customer-link")).to_have_text("Bob Smith")
    page.get_by_test_id("customer-link").click()

    # Unmerge: the SMS contact is on its own again, the merge stays in the history.
    page.get_by_test_id("unmerge-button").click()
    expect(page.get_by_test_id("flash-success")).to_contain_text("The merge was undone")
    expect(timeline.locator("[data-channel=sms]")).to_have_count(0)
    expect(page.get_by_test_id("identity")).to_have_count(1)
    expect(page.get_by_test_id("merge-record")).to_contain_text("Undone by")
    step.shot(page, "unmerged")
    assert Contact.objects.get(pk=texted.case.contact_id).merged_into_id is None
    assert not step.js_errors
    context.close()
