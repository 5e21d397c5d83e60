"""Who may use the workspace: the visibility matrix through every view."""

import pytest
from django.urls import reverse

from caseway.cases.models import Activity, AuditEntry, Case, CaseStatus

pytestmark = pytest.mark.django_db

CASE_PAGES = ["workspace:case"]
CASE_ACTIONS = {
    "workspace:reply": {"text": "Hello"},
    "workspace:note": {"text": "Psst"},
    "workspace:status": {"status": CaseStatus.WAITING},
    "workspace:take": {},
    "workspace:priority": {"priority": "high"},
}


def case_url(name: str, case: Case) -> str:
    return reverse(name, kwargs={"number": case.number})


def test_anonymous_user_is_sent_to_the_workspace_sign_in(client):
    response = client.get(reverse("workspace:home"))

    assert response.status_code == 302
    assert response["Location"] == "/agent/login/?next=/agent/"


def test_anonymous_user_is_sent_to_sign_in_from_a_case_page(client, case):
    response = client.get(case_url("workspace:case", case))

    assert response.status_code == 302
    assert response["Location"].startswith("/agent/login/?next=/agent/cases/")


def test_anonymous_htmx_request_reloads_the_page_to_sign_in(client, case, htmx_headers):
    response = client.post(case_url("workspace:note", case), {"text": "x"}, **htmx_headers)

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/agent/login/")
    assert not Activity.objects.filter(kind="note").exists()


@pytest.mark.parametrize("name", ["workspace:home", "workspace:case"])
def test_customer_gets_403_on_workspace_pages(client, customer, case, name):
    client.force_login(customer.user)
    url = reverse(name) if name == "workspace:home" else case_url(name, case)

    response = client.get(url)

    assert response.status_code == 403
    assert b"The workspace is for agents" in response.content


@pytest.mark.parametrize(("name", "data"), CASE_ACTIONS.items())
def test_customer_gets_403_on_every_action_and_nothing_changes(client, customer, case, name, data):
    client.force_login(customer.user)

    response = client.post(case_url(name, case), data)

    assert response.status_code == 403
    assert Activity.objects.filter(case=case).count() == 1
    assert not AuditEntry.objects.exists()


def test_agent_of_the_queue_sees_the_case_in_the_list_and_its_page(agent_client, case):
    listing = agent_client.get(reverse("workspace:home"))
    page = agent_client.get(case_url("workspace:case", case))

    assert case.number in listing.content.decode()
    assert page.status_code == 200
    assert "Printer on fire" in page.content.decode()


def test_other_agent_does_not_see_the_case_in_the_list(client, other_agent, case):
    client.force_login(other_agent)

    response = client.get(reverse("workspace:home"))

    assert response.status_code == 200
    assert case.number not in response.content.decode()


def test_other_agent_gets_404_on_the_case_page(client, other_agent, case):
    client.force_login(other_agent)

    assert client.get(case_url("workspace:case", case)).status_code == 404


@pytest.mark.parametrize(("name", "data"), CASE_ACTIONS.items())
def test_other_agent_gets_404_on_every_action_and_nothing_changes(
    client, other_agent, case, name, data
):
    client.force_login(other_agent)

    response = client.post(case_url(name, case), data)

    assert response.status_code == 404
    case.refresh_from_db()
    assert case.owner is None
    assert case.status == CaseStatus.NEW
    assert Activity.objects.filter(case=case).count() == 1


def test_other_agent_gets_404_on_assign_and_move(client, other_agent, agent, case):
    client.force_login(other_agent)

    assign = client.post(case_url("workspace:assign", case), {"owner": other_agent.pk})
    move = client.post(case_url("workspace:move", case), {"queue": case.queue_id})

    assert assign.status_code == move.status_code == 404


def test_unknown_or_malformed_case_numbers_are_404(agent_client):
    assert agent_client.get("/agent/cases/CW-99999/").status_code == 404
    assert agent_client.get("/agent/cases/not-a-number/").status_code == 404


def test_admin_sees_every_case(client, admin_user, case, other_agent, receive):
    client.force_login(admin_user)

    listing = client.get(reverse("workspace:home"))
    page = client.get(case_url("workspace:case", case))

    assert case.number in listing.content.decode()
    assert page.status_code == 200


def test_agent_who_owns_a_case_outside_their_queues_still_sees_it(client, other_agent, case):
    from caseway.cases.services import assign_case

    assign_case(case=case, owner=other_agent, actor=other_agent)
    client.force_login(other_agent)

    assert client.get(case_url("workspace:case", case)).status_code == 200


def test_inactive_staff_user_is_not_an_agent(client, agent, case):
    agent.is_active = False
    agent.save()
    client.force_login(agent)

    response = client.get(reverse("workspace:home"))

    assert response.status_code == 302  # an inactive user is signed out


# Sign in and out


def test_sign_in_page_has_username_password_and_sign_in_button(client):
    response = client.get(reverse("workspace:login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "Sign in</button>" in html


def test_agent_signs_in_and_lands_on_the_case_list(client, agent):
    response = client.post(
        reverse("workspace:login"), {"username": "agent", "password": "pass-word-123"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/agent/"


def test_sign_in_follows_next(client, agent, case):
    url = case_url("workspace:case", case)

    response = client.post(
        reverse("workspace:login"),
        {"username": "agent", "password": "pass-word-123", "next": url},
    )

    assert response["Location"] == url


def test_customer_cannot_sign_in_to_the_workspace(client, customer):
    response = client.post(
        reverse("workspace:login"), {"username": "carol", "password": "pass-word-123"}
    )

    assert response.status_code == 200
    assert "cannot use the agent workspace" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_an_error(client, agent):
    response = client.post(reverse("workspace:login"), {"username": "agent", "password": "nope"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_sign_out_is_post_only_and_returns_to_sign_in(agent_client):
    assert agent_client.get(reverse("workspace:logout")).status_code == 405

    response = agent_client.post(reverse("workspace:logout"))

    assert response.status_code == 302
    assert response["Location"] == "/agent/login/"
    assert "_auth_user_id" not in agent_client.session


def test_actions_are_csrf_protected(agent, case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(case_url("workspace:note", case), {"text": "no token"})

    assert response.status_code == 403
    assert not Activity.objects.filter(kind="note").exists()


def test_actions_refuse_get(agent_client, case):
    assert agent_client.get(case_url("workspace:take", case)).status_code == 405
