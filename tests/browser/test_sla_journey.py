"""An enterprise customer with a contract writes; the agent sees the contract's SLA count
down in the case list and the case view; the first response breaches, the sweep escalates
it (timeline, bell); waiting on the customer pauses the clock.

Screenshots go to test-artifacts/browser/sla-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from caseway.cases.models import Case
from caseway.customers.tests.factories import AccountFactory, ContactFactory, IdentityFactory
from caseway.sla.escalation import fire_due_sla_actions
from caseway.sla.models import EntitlementTerm, SlaActionKind, SlaInstance, SlaKpi, SlaMoment
from caseway.sla.tests.factories import (
    EntitlementFactory,
    SlaPolicyFactory,
    add_action,
    add_targets,
)
from tests.browser.pages import Step, new_page, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_agent_watches_a_contract_sla_count_down_breach_and_pause(
    browser, live_server, agent, default_queue, make_message
):
    from caseway.intake.services import receive

    agent.set_password("agent-secret-1")
    agent.save()
    default_queue.supervisors.add(agent)
    account = AccountFactory(name="Initech", size="enterprise", is_preferred=True)
    contact = ContactFactory(name="Ingrid", email="ingrid@initech.test", account=account)
    IdentityFactory(contact=contact, kind="email", address="ingrid@initech.test")
    policy = add_targets(SlaPolicyFactory(name="Gold 24x7"), first_response=60, resolution=480)
    add_action(policy, moment=SlaMoment.BREACH, kind=SlaActionKind.NOTIFY)
    EntitlementFactory(
        name="Initech Gold", account=account, policy=policy,
        term=EntitlementTerm.CASES, total=50, remaining=50,
    )  # fmt: skip
    case = receive(make_message(email="ingrid@initech.test", subject="Payroll export fails")).case
    step = Step(prefix="sla-")

    # The agent sees the contract's first-response clock running.
    context, page = new_page(browser, step)
    sign_in(page, f"{live_server.url}/agent/login/", agent.username, "agent-secret-1")
    row = page.locator("tr", has_text="Payroll export fails")
    expect(row.get_by_test_id("countdown")).to_have_attribute("data-state", "in_progress")
    step.shot(page, "list-running")
    page.goto(f"{live_server.url}/agent/cases/{case.number}/")
    panel = page.get_by_test_id("sla-panel")
    expect(panel).to_contain_text("Gold 24x7")
    expect(panel.get_by_test_id("sla-entitlement")).to_contain_text("49")
    first = panel.locator("[data-testid=sla-timer][data-kpi=first_response]")
    expect(first).to_have_attribute("data-state", "in_progress")
    step.shot(page, "case-running")

    # An hour and ten minutes later nobody has answered: the sweep fires the breach.
    late = timezone.now() - timedelta(minutes=70)
    timer = SlaInstance.objects.get(case=case, kpi=SlaKpi.FIRST_RESPONSE)
    SlaInstance.objects.filter(pk=timer.pk).update(
        started_at=late,
        warn_at=late + timedelta(minutes=50),
        due_at=late + timedelta(minutes=60),
        next_action_at=late + timedelta(minutes=50),
    )
    assert fire_due_sla_actions() == 2  # warning and breach, reported as one breach
    page.reload()
    expect(first).to_have_attribute("data-state", "breached")
    expect(page.get_by_test_id("timeline")).to_contain_text("First response breached")
    expect(page.locator("#bell")).to_contain_text("1")
    step.shot(page, "case-breached")
    page.goto(f"{live_server.url}/agent/")
    expect(row.get_by_test_id("countdown")).to_have_attribute("data-state", "breached")
    step.shot(page, "list-breached")

    # Waiting on the customer pauses the resolution clock.
    page.goto(f"{live_server.url}/agent/cases/{case.number}/")
    status_form = page.get_by_test_id("status-form")
    status_form.locator("select[name=status]").select_option("waiting")
    status_form.get_by_role("button", name="Update status").click()
    resolution = panel.locator("[data-testid=sla-timer][data-kpi=resolution]")
    expect(resolution).to_have_attribute("data-state", "paused")
    assert Case.objects.get(pk=case.pk).status == "waiting"
    step.shot(page, "case-paused")

    assert step.js_errors == []
    context.close()
