import pytest

from caseway.cases.models import Activity, ActivityKind, AuditEntry, Case, DeliveryStatus
from caseway.cases.tests.factories import CaseFactory
from caseway.customers.tests.factories import UserFactory
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


class TestReply:
    def test_reply_reaches_the_timeline_and_sets_first_response(self, as_role, carol_case, agent):
        response = as_role("agent").post(
            f"/cases/{carol_case.number}/messages", {"text": "We are on it."}
        )

        assert response.status_code == 201
        body = response.json()
        assert body["activity"]["kind"] == "message_out"
        assert body["activity"]["author"] == {"kind": "agent", "name": "Ada Agent"}
        assert body["case"]["status"] == "active"
        assert body["case"]["first_response_at"] is not None
        reply = Activity.objects.get(kind=ActivityKind.MESSAGE_OUT)
        # The API channel's adapter "delivers" by showing it on the customer's timeline.
        assert reply.delivery_status in {DeliveryStatus.PENDING, DeliveryStatus.DELIVERED}

    def test_reply_with_a_status(self, as_role, carol_case):
        response = as_role("agent").post(
            f"/cases/{carol_case.number}/messages", {"text": "Try again?", "status": "waiting"}
        )

        assert response.json()["case"]["status"] == "waiting"

    def test_reply_with_a_status_the_workflow_forbids_writes_nothing(self, as_role, carol_case):
        caller = as_role("agent")
        caller.post(f"/cases/{carol_case.number}/status", {"status": "resolved"})

        response = caller.post(
            f"/cases/{carol_case.number}/messages", {"text": "Hm", "status": "waiting"}
        )

        assert response.status_code == 409
        assert not Activity.objects.filter(text="Hm").exists()


class TestNote:
    def test_note_is_internal(self, as_role, carol_case):
        response = as_role("agent").post(
            f"/cases/{carol_case.number}/notes", {"text": "Customer is on the beta."}
        )

        assert response.status_code == 201
        activity = response.json()["activity"]
        assert (activity["kind"], activity["is_public"]) == ("note", False)
        assert Activity.objects.get(kind=ActivityKind.NOTE).text == "Customer is on the beta."

    def test_blank_note_is_422(self, as_role, carol_case):
        response = as_role("agent").post(f"/cases/{carol_case.number}/notes", {"text": "  "})

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "text"]


class TestStatus:
    def test_resolve(self, as_role, carol_case):
        response = as_role("agent").post(
            f"/cases/{carol_case.number}/status", {"status": "resolved"}
        )

        assert response.status_code == 200
        assert response.json()["status"] == "resolved"
        assert response.json()["resolved_at"] is not None
        assert AuditEntry.objects.get(field="status").after == "resolved"

    def test_transition_not_allowed_is_409_with_a_clear_message(self, as_role, carol_case):
        caller = as_role("agent")
        caller.post(f"/cases/{carol_case.number}/status", {"status": "resolved"})

        response = caller.post(f"/cases/{carol_case.number}/status", {"status": "waiting"})

        assert response.status_code == 409
        assert response.json()["detail"] == "A case cannot go from resolved to waiting."
        assert Case.objects.get().status == "resolved"

    def test_invisible_case_is_404(self, as_role, billing_case):
        response = as_role("agent").post(
            f"/cases/{billing_case.number}/status", {"status": "resolved"}
        )

        assert response.status_code == 404


class TestAssign:
    def test_assign_to_an_agent(self, as_role, carol_case, other_agent):
        response = as_role("agent").post(
            f"/cases/{carol_case.number}/assign", {"owner": "other-agent"}
        )

        assert response.status_code == 200
        assert response.json()["owner"]["username"] == "other-agent"
        assert Activity.objects.filter(kind=ActivityKind.ASSIGNMENT).count() == 1

    def test_unassign(self, as_role, carol_case):
        caller = as_role("agent")
        caller.post(f"/cases/{carol_case.number}/assign", {"owner": "agent"})

        response = caller.post(f"/cases/{carol_case.number}/assign", {"owner": None})

        assert response.json()["owner"] is None

    @pytest.mark.parametrize("owner", ["carol", "ghost"])
    def test_owner_who_is_not_an_agent_is_422(self, as_role, carol_case, customer, owner):
        response = as_role("agent").post(f"/cases/{carol_case.number}/assign", {"owner": owner})

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "owner"]
        assert Case.objects.get().owner is None

    def test_owner_key_is_required(self, as_role, carol_case):
        response = as_role("agent").post(f"/cases/{carol_case.number}/assign", {})

        assert response.status_code == 422

    def test_closed_case_is_409(self, as_role, carol_case):
        caller = as_role("agent")
        caller.post(f"/cases/{carol_case.number}/status", {"status": "cancelled"})

        response = caller.post(f"/cases/{carol_case.number}/assign", {"owner": "agent"})

        assert response.status_code == 409


class TestList:
    @pytest.fixture
    def cases(self, agent, customer, stranger, make_message, default_queue):
        mine = receive(make_message(subject="Invoice wrong")).case
        unowned = receive(make_message(email="sam@elsewhere.test", subject="Password")).case
        sms = CaseFactory(subject="Text me", origin_channel="sms", priority="urgent",
                          owner=UserFactory(username="zed", is_staff=True))  # fmt: skip
        Case.objects.filter(pk=mine.pk).update(owner=agent)
        return {"mine": mine, "unowned": unowned, "sms": sms}

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, {"mine", "unowned", "sms"}),
            ({"owner": "me"}, {"mine"}),
            ({"owner": "none"}, {"unowned"}),
            ({"owner": "zed"}, {"sms"}),
            ({"priority": "urgent"}, {"sms"}),
            ({"channel": "sms"}, {"sms"}),
            ({"status": "new"}, {"mine", "unowned", "sms"}),
            ({"status": "resolved"}, set()),
            ({"q": "invoice"}, {"mine"}),
            ({"queue": "general"}, {"mine", "unowned", "sms"}),
            ({"queue": "billing"}, set()),
        ],
    )
    def test_filters(self, as_role, cases, params, expected):
        body = as_role("agent").get("/cases", **params).json()

        numbers = {c["number"] for c in body["items"]}
        assert numbers == {cases[name].number for name in expected}
        assert body["count"] == len(expected)

    def test_q_finds_a_case_by_number(self, as_role, cases):
        body = as_role("agent").get("/cases", q=cases["sms"].number).json()

        assert [c["number"] for c in body["items"]] == [cases["sms"].number]


def test_queues_with_counts(as_role, carol_case, default_queue, agent):
    response = as_role("agent").get("/queues")

    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": default_queue.slug,
            "name": default_queue.name,
            "description": default_queue.description,
            "is_default": True,
            "open_count": 1,
            "unassigned_count": 1,
        }
    ]


def test_admin_sees_every_queue(as_role, other_agent):
    slugs = {queue["slug"] for queue in as_role("admin_user").get("/queues").json()}

    assert slugs == {"general", "billing"}


class TestLogTime:
    def test_time_goes_on_the_internal_timeline_and_the_case(self, as_role, carol_case):
        response = as_role("agent").post(
            f"/cases/{carol_case.number}/time", {"minutes": 45, "note": "Reproduced the fault"}
        )

        assert response.status_code == 201
        activity = response.json()["activity"]
        assert (activity["kind"], activity["is_public"]) == ("time_logged", False)
        assert activity["text"] == "Reproduced the fault"
        assert activity["data"] == {"minutes": 45}
        assert Case.objects.get().time_spent_minutes == 45

    def test_note_is_optional_and_time_adds_up(self, as_role, carol_case):
        caller = as_role("agent")
        caller.post(f"/cases/{carol_case.number}/time", {"minutes": 1440})

        response = caller.post(f"/cases/{carol_case.number}/time", {"minutes": 1})

        assert response.status_code == 201
        assert Case.objects.get().time_spent_minutes == 1441

    @pytest.mark.parametrize("minutes", [0, -5, 1441, "many", None])
    def test_minutes_outside_one_to_1440_are_422(self, as_role, carol_case, minutes):
        response = as_role("agent").post(f"/cases/{carol_case.number}/time", {"minutes": minutes})

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "minutes"]
        assert Case.objects.get().time_spent_minutes == 0
        assert not Activity.objects.filter(kind=ActivityKind.TIME_LOGGED).exists()

    def test_customers_may_not_log_time(self, as_role, carol_case):
        response = as_role("customer").post(f"/cases/{carol_case.number}/time", {"minutes": 5})

        assert response.status_code == 403
        assert Case.objects.get().time_spent_minutes == 0

    def test_invisible_case_is_404(self, as_role, billing_case):
        response = as_role("agent").post(f"/cases/{billing_case.number}/time", {"minutes": 5})

        assert response.status_code == 404
