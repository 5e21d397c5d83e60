"""The SLA of a case in the API: agents read its policy, contract and clocks; customers never
see SLA internals."""

import datetime
from decimal import Decimal

import pytest

from caseway.intake.services import receive
from caseway.sla.models import Entitlement, SlaInstance
from caseway.sla.tests.factories import EntitlementFactory, SlaPolicyFactory, add_targets

pytestmark = pytest.mark.django_db

TIMER_KEYS = {
    "kpi", "status", "started_at", "warn_at", "due_at", "completed_at", "paused_seconds",
}  # fmt: skip


def test_agent_reads_the_default_sla_of_a_new_case(as_role, carol_case):
    body = as_role("agent").get(f"/cases/{carol_case.number}").json()

    sla = body["sla"]
    default = Entitlement.objects.get(is_default=True)
    assert sla["policy"] == "Standard support"
    assert sla["entitlement"] == {"name": default.name, "term": "unlimited", "remaining": None}
    assert [t["kpi"] for t in sla["timers"]] == ["first_response", "resolution"]
    for timer in sla["timers"]:
        assert set(timer) == TIMER_KEYS
        assert timer["status"] == "in_progress"
        assert timer["completed_at"] is None
        assert timer["paused_seconds"] == 0
        assert timer["started_at"] < timer["warn_at"] < timer["due_at"]


def test_agent_reads_the_contract_and_what_is_left(as_role, customer, account, make_message):
    policy = add_targets(SlaPolicyFactory(name="Premium 24x7"), first_response=60)
    EntitlementFactory(
        name="Globex premium", account=account, policy=policy, term="cases",
        total=Decimal(50), remaining=Decimal(50),
    )  # fmt: skip
    case = receive(make_message(email="carol@globex.test")).case

    sla = as_role("agent").get(f"/cases/{case.number}").json()["sla"]

    assert sla["policy"] == "Premium 24x7"
    assert sla["entitlement"] == {"name": "Globex premium", "term": "cases", "remaining": 49.0}
    timer = sla["timers"][0]
    assert timer["kpi"] == "first_response"
    started = datetime.datetime.fromisoformat(timer["started_at"])
    assert datetime.datetime.fromisoformat(timer["due_at"]) - started == datetime.timedelta(hours=1)


def test_the_reply_completes_the_first_response_clock(
    as_role, carol_case, django_capture_on_commit_callbacks
):
    staff = as_role("agent")
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/cases/{carol_case.number}/messages", {"text": "On it"})

    timers = {t["kpi"]: t for t in staff.get(f"/cases/{carol_case.number}").json()["sla"]["timers"]}

    assert timers["first_response"]["status"] == "succeeded"
    assert timers["first_response"]["completed_at"] is not None
    assert timers["resolution"]["status"] == "in_progress"


def test_a_clock_past_its_due_time_reads_breached(as_role, carol_case):
    long_ago = datetime.datetime(2020, 1, 6, 9, tzinfo=datetime.UTC)
    SlaInstance.objects.filter(case=carol_case).update(warn_at=long_ago, due_at=long_ago)

    timers = as_role("agent").get(f"/cases/{carol_case.number}").json()["sla"]["timers"]

    assert {t["status"] for t in timers} == {"breached"}


def test_case_without_an_sla_has_none(as_role, carol_case):
    SlaInstance.objects.all().delete()

    assert as_role("agent").get(f"/cases/{carol_case.number}").json()["sla"] is None


@pytest.mark.parametrize("role", ["customer", "account_admin"])
def test_customers_see_no_sla(as_role, carol_case, role):
    body = as_role(role).get(f"/cases/{carol_case.number}").json()

    assert body["sla"] is None
    assert "Standard support" not in str(body)


def test_a_used_up_contract_that_blocks_refuses_new_cases(as_role, customer, account):
    EntitlementFactory(
        name="Globex prepaid", account=account, term="cases", total=Decimal(10),
        remaining=Decimal(0), on_exhausted="block",
    )  # fmt: skip

    response = as_role("customer").post("/cases", {"subject": "Help", "text": "Please"})

    assert response.status_code == 422
    assert "Globex prepaid" in response.json()["detail"]
