"""Who sees Carol's case (default queue, account Globex) through list, get and messages.

An invisible case answers exactly like a missing one: 404, never 403.
"""

import pytest

from caseway.cases.models import Activity, ActivityKind

pytestmark = pytest.mark.django_db

MATRIX = [
    ("customer", True),  # her own case
    ("colleague", False),  # same account, not an account admin
    ("account_admin", True),  # sees every case of the account
    ("stranger", False),
    ("agent", True),  # member of the default queue
    ("other_agent", False),  # works Billing only
    ("admin_user", True),
]


@pytest.mark.parametrize(("role", "sees"), MATRIX)
def test_list(as_role, carol_case, role, sees):
    response = as_role(role).get("/cases")

    assert response.status_code == 200
    numbers = [item["number"] for item in response.json()["items"]]
    assert (carol_case.number in numbers) is sees


@pytest.mark.parametrize(("role", "sees"), MATRIX)
def test_get(as_role, carol_case, role, sees):
    response = as_role(role).get(f"/cases/{carol_case.number}")

    assert response.status_code == (200 if sees else 404)
    if sees:
        assert response.json()["number"] == carol_case.number


@pytest.mark.parametrize(("role", "sees"), MATRIX)
def test_messages(as_role, carol_case, role, sees):
    response = as_role(role).post(f"/cases/{carol_case.number}/messages", {"text": "Any news?"})

    assert response.status_code == (201 if sees else 404)
    assert Activity.objects.filter(text="Any news?").count() == (1 if sees else 0)


@pytest.mark.parametrize(("role", "kind"), [("customer", "message_in"), ("agent", "message_out")])
def test_a_message_is_the_customers_or_the_agents_reply(as_role, carol_case, role, kind):
    response = as_role(role).post(f"/cases/{carol_case.number}/messages", {"text": "Hello"})

    assert response.json()["activity"]["kind"] == kind
    assert Activity.objects.filter(case=carol_case, kind=kind, text="Hello").exists()


def test_account_admin_message_lands_on_the_colleagues_case(as_role, carol_case, account_admin):
    response = as_role("account_admin").post(
        f"/cases/{carol_case.number}/messages", {"text": "I am following this up"}
    )

    assert response.status_code == 201
    assert response.json()["case"]["number"] == carol_case.number
    activity = Activity.objects.get(case=carol_case, text="I am following this up")
    assert activity.author_contact == account_admin


@pytest.mark.parametrize(
    ("role", "sees"), [("other_agent", True), ("agent", False), ("stranger", True)]
)
def test_other_queue_case(as_role, billing_case, role, sees):
    response = as_role(role).get(f"/cases/{billing_case.number}")

    assert response.status_code == (200 if sees else 404)


@pytest.mark.parametrize("number", ["CW-99999", "nonsense", "0"])
def test_unknown_case_is_404(as_role, carol_case, number):
    assert as_role("agent").get(f"/cases/{number}").status_code == 404


def test_customer_timeline_has_public_messages_only(as_role, carol_case, agent):
    staff = as_role("agent")
    staff.post(f"/cases/{carol_case.number}/notes", {"text": "Internal: VIP"})
    staff.post(f"/cases/{carol_case.number}/messages", {"text": "On it", "status": "waiting"})
    staff.post(f"/cases/{carol_case.number}/assign", {"owner": "agent"})

    customer_view = as_role("customer").get(f"/cases/{carol_case.number}").json()
    agent_view = staff.get(f"/cases/{carol_case.number}").json()

    assert [a["kind"] for a in customer_view["timeline"]] == [
        ActivityKind.MESSAGE_IN,
        ActivityKind.MESSAGE_OUT,
    ]
    assert all(a["data"] == {} for a in customer_view["timeline"])
    assert {a["kind"] for a in agent_view["timeline"]} == {
        ActivityKind.MESSAGE_IN,
        ActivityKind.MESSAGE_OUT,
        ActivityKind.NOTE,
        ActivityKind.STATUS_CHANGE,
        ActivityKind.ASSIGNMENT,
    }
    assert "Internal: VIP" not in str(customer_view)


def test_agent_logins_are_shown_to_agents_only(as_role, carol_case, agent):
    as_role("agent").post(f"/cases/{carol_case.number}/assign", {"owner": "agent"})

    seen_by_customer = as_role("customer").get(f"/cases/{carol_case.number}").json()["owner"]
    seen_by_agent = as_role("agent").get(f"/cases/{carol_case.number}").json()["owner"]

    assert seen_by_customer == {"username": None, "name": "Ada Agent"}
    assert seen_by_agent == {"username": "agent", "name": "Ada Agent"}
