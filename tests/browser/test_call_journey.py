"""A customer calls; the agent who answers sees the caller's case pop open in the workspace,
with the call on the timeline, and logs a follow-up call by hand from the composer."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import expect

from caseway.api.tests.twilio_support import load
from caseway.connectors.telephony.signature import sign
from caseway.routing.models import Presence
from caseway.routing.presence import set_presence
from tests.browser.pages import Step, new_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _post(url: str, form: dict[str, str]) -> requests.Response:
    return requests.post(
        url,
        data=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(url, form),
        },
        timeout=10,
    )


def test_the_answering_agent_gets_the_callers_case_popped(browser, live_server, agent, settings):
    settings.TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
    settings.TWILIO_AUTH_TOKEN = "browser-test-token"
    settings.TWILIO_WEBHOOK_BASE_URL = live_server.url
    agent.set_password("agent-secret-1")
    agent.save()
    set_presence(agent=agent, presence=Presence.AVAILABLE)

    step = Step("call-")
    context, page = new_page(browser, step)
    sign_in(page, f"{live_server.url}/agent/login/", agent.username, "agent-secret-1")
    page.goto(f"{live_server.url}/agent/")

    answer = _post(f"{live_server.url}/hooks/voice/", load("voice_incoming"))
    assert answer.status_code == 200
    answered = re.search(r'<Client statusCallback="([^"]+)"', answer.text).group(1)
    assert _post(answered, load("voice_answered")).status_code == 204

    # The poll (every 5 s under the test server, which streams no events) pops the case.
    expect(page).to_have_url(re.compile(r"/agent/cases/CW-\d+/$"), timeout=15_000)
    expect(page.get_by_test_id("call-details")).to_be_visible()
    step.shot(page, "case-popped")

    page.get_by_test_id("log-call-tab").click()
    page.get_by_test_id("call-minutes").fill("4")
    page.locator("#call-note").fill("Called back to confirm the router works")
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_text("Called back to confirm the router works")).to_be_visible()
    step.shot(page, "call-logged")
    assert step.js_errors == []
    context.close()
