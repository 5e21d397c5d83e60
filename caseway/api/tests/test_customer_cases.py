import pytest

from caseway.api.tests.conftest import b64
from caseway.cases.models import Activity, Attachment, Case, CaseStatus
from caseway.customers.models import Contact, Identity
from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory
from caseway.intake.models import InboundRecord
from caseway.intake.services import produced_activity

pytestmark = pytest.mark.django_db


class TestCreate:
    def test_opens_a_case_through_intake(self, as_role, customer, default_queue):
        response = as_role("customer").post(
            "/cases", {"subject": "Login broken", "text": "I cannot sign in."}
        )

        assert response.status_code == 201
        body = response.json()
        case = Case.objects.get()
        assert body["number"] == case.number
        assert body["subject"] == "Login broken"
        assert body["status"] == "new"
        assert body["priority"] == "normal"
        assert body["origin_channel"] == "api"
        assert body["queue"] == {"slug": default_queue.slug, "name": default_queue.name}
        assert body["owner"] is None
        assert body["contact_name"] == "Carol Customer"
        assert body["last_activity_at"] is not None
        assert case.contact == customer
        record = InboundRecord.objects.get()
        assert record.channel == "api"
        assert produced_activity(record).case == case

    def test_kiosk_channel(self, as_role, customer):
        response = as_role("customer").post(
            "/cases", {"subject": "Lobby", "text": "Hi", "channel": "kiosk"}
        )

        assert response.json()["origin_channel"] == "kiosk"

    def test_other_channels_are_refused(self, as_role, customer):
        response = as_role("customer").post(
            "/cases", {"subject": "Lobby", "text": "Hi", "channel": "email"}
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "channel"]

    def test_retry_with_the_same_client_message_id_returns_the_same_case(self, as_role, customer):
        caller = as_role("customer")
        payload = {"subject": "Login broken", "text": "Help", "client_message_id": "a1-b2"}

        first = caller.post("/cases", payload)
        second = caller.post("/cases", payload)

        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["number"] == second.json()["number"]
        assert Case.objects.count() == 1
        assert Activity.objects.count() == 1
        assert InboundRecord.objects.get().provider_id == f"api:{customer.user.pk}:a1-b2"

    def test_client_message_ids_are_per_user(self, as_role, customer, stranger):
        payload = {"subject": "Same id", "text": "Help", "client_message_id": "1"}

        first = as_role("customer").post("/cases", payload)
        second = as_role("stranger").post("/cases", payload)

        assert second.status_code == 201
        assert first.json()["number"] != second.json()["number"]

    def test_without_client_message_id_every_call_is_a_new_case(self, as_role, customer):
        caller = as_role("customer")

        caller.post("/cases", {"subject": "A", "text": "Help"})
        caller.post("/cases", {"subject": "A", "text": "Help"})

        assert Case.objects.count() == 2

    def test_attachments_are_stored(self, as_role, customer):
        response = as_role("customer").post(
            "/cases",
            {
                "subject": "Screenshot",
                "text": "See attached",
                "attachments": [
                    {
                        "filename": "s.png",
                        "content_type": "image/png",
                        "content_base64": b64(b"PNG"),
                    }
                ],
            },
        )

        assert response.status_code == 201
        attachment = Attachment.objects.get()
        assert (attachment.filename, attachment.size) == ("s.png", 3)
        assert attachment.file.read() == b"PNG"
        detail = as_role("customer").get(f"/cases/{response.json()['number']}").json()
        assert detail["timeline"][0]["attachments"][0]["filename"] == "s.png"

    def test_customer_without_an_email_identity_gets_one(self, api, account):
        user = UserFactory(username="fred")
        contact = ContactFactory(name="Fred", email="Fred@Globex.test", user=user)

        response = api.as_user(user).post("/cases", {"subject": "Hi", "text": "Hello"})

        assert response.status_code == 201
        assert Case.objects.get().contact == contact
        assert Identity.objects.get(contact=contact).address == "fred@globex.test"
        assert Contact.objects.count() == 1

    def test_email_of_another_contact_is_refused_and_nothing_is_written(self, api, customer):
        user = UserFactory(username="mallory")
        ContactFactory(name="Mallory", email="carol@globex.test", user=user)

        response = api.as_user(user).post("/cases", {"subject": "Hi", "text": "Hello"})

        assert response.status_code == 409
        assert not Case.objects.exists()
        assert not InboundRecord.objects.exists()

    def test_contact_without_email_is_refused(self, api):
        user = UserFactory(username="phil")
        contact = ContactFactory(name="Phil", email="", phone="+4412345", user=user)
        IdentityFactory(contact=contact, kind="phone", address="+4412345")

        response = api.as_user(user).post("/cases", {"subject": "Hi", "text": "Hello"})

        assert response.status_code == 409
        assert not Case.objects.exists()


class TestMessages:
    def test_customer_message_goes_on_the_case(self, as_role, carol_case):
        response = as_role("customer").post(
            f"/cases/{carol_case.number}/messages", {"text": "Still burning"}
        )

        assert response.status_code == 201
        body = response.json()
        assert body["case"]["number"] == carol_case.number
        assert body["activity"]["kind"] == "message_in"
        assert body["activity"]["author"] == {"kind": "contact", "name": "Carol Customer"}
        assert Case.objects.count() == 1

    def test_retry_with_the_same_client_message_id_adds_nothing(self, as_role, carol_case):
        caller = as_role("customer")
        payload = {"text": "Still burning", "client_message_id": "m-1"}

        first = caller.post(f"/cases/{carol_case.number}/messages", payload)
        second = caller.post(f"/cases/{carol_case.number}/messages", payload)

        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["activity"]["id"] == second.json()["activity"]["id"]
        assert Activity.objects.filter(text="Still burning").count() == 1

    def test_message_reopens_a_resolved_case(self, as_role, carol_case, agent):
        as_role("agent").post(f"/cases/{carol_case.number}/status", {"status": "resolved"})

        response = as_role("customer").post(
            f"/cases/{carol_case.number}/messages", {"text": "It is back"}
        )

        assert response.status_code == 201
        assert response.json()["case"]["status"] == "active"

    def test_message_to_a_cancelled_case_is_409_and_opens_nothing(self, as_role, carol_case):
        Case.objects.filter(pk=carol_case.pk).update(status=CaseStatus.CANCELLED)

        response = as_role("customer").post(
            f"/cases/{carol_case.number}/messages", {"text": "Hello?"}
        )

        assert response.status_code == 409
        assert Case.objects.count() == 1

    def test_customer_cannot_set_the_status(self, as_role, carol_case):
        response = as_role("customer").post(
            f"/cases/{carol_case.number}/messages", {"text": "Close it", "status": "resolved"}
        )

        assert response.status_code == 403
        assert not Activity.objects.filter(text="Close it").exists()

    def test_empty_message_is_422(self, as_role, carol_case):
        response = as_role("customer").post(f"/cases/{carol_case.number}/messages", {"text": " "})

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "text"]

    def test_attachment_alone_is_a_message(self, as_role, carol_case):
        response = as_role("customer").post(
            f"/cases/{carol_case.number}/messages",
            {
                "attachments": [
                    {
                        "filename": "log.txt",
                        "content_type": "text/plain",
                        "content_base64": b64(b"x"),
                    }
                ]
            },
        )

        assert response.status_code == 201
        assert response.json()["activity"]["attachments"][0]["filename"] == "log.txt"


class TestList:
    def test_customer_lists_own_cases_newest_activity_first(self, as_role, customer, make_message):
        from caseway.intake.services import receive

        older = receive(make_message(subject="Older")).case
        newer = receive(make_message(subject="Newer")).case
        receive(make_message(email="sam@elsewhere.test", subject="Not mine"))

        body = as_role("customer").get("/cases").json()

        assert body["count"] == 2
        assert [c["number"] for c in body["items"]] == [newer.number, older.number]

    def test_paging(self, as_role, customer, make_message):
        from caseway.intake.services import receive

        for _ in range(5):
            receive(make_message())

        body = as_role("customer").get("/cases", limit=2, offset=4).json()

        assert (body["count"], body["limit"], body["offset"], len(body["items"])) == (5, 2, 4, 1)
