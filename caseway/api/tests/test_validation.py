"""Bad input is refused with the field's path, and a refused request leaves nothing behind."""

import pytest

from caseway.api.tests.conftest import b64
from caseway.cases.models import Activity, Attachment, Case
from caseway.customers.models import Contact, Identity
from caseway.intake.models import InboundRecord

pytestmark = pytest.mark.django_db


def locs(response):
    return [error["loc"] for error in response.json()["detail"]]


def counts():
    models = (Case, Contact, Identity, Activity, Attachment, InboundRecord)
    return {model.__name__: model.objects.count() for model in models}


def attachment(**overrides):
    return {"filename": "a.png", "content_type": "image/png", "content_base64": b64(b"PNG")} | (
        overrides
    )


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"text": "no subject"}, ["body", "payload", "subject"]),
        ({"subject": "   ", "text": "blank subject"}, ["body", "payload", "subject"]),
        ({"subject": "x" * 301, "text": "long"}, ["body", "payload", "subject"]),
        ({"subject": "no text"}, ["body", "payload", "text"]),
        ({"subject": "s", "text": "t", "client_message_id": "has space"},
         ["body", "payload", "client_message_id"]),
        ({"subject": "s", "text": "t", "colour": "red"}, ["body", "payload", "colour"]),
        ({"subject": "s", "text": "t", "attachments": [attachment(content_base64="%%%")]},
         ["body", "payload", "attachments", 0, "content_base64"]),
        ({"subject": "s", "text": "t", "attachments": [attachment(), attachment(filename="..")]},
         ["body", "payload", "attachments", 1, "filename"]),
        ({"subject": "s", "text": "t", "attachments": [attachment(content_base64=None)]},
         ["body", "payload", "attachments", 0, "content_base64"]),
    ],
)  # fmt: skip
def test_invalid_create_is_422_with_the_field_path(as_role, customer, payload, loc):
    before = counts()

    response = as_role("customer").post("/cases", payload)

    assert response.status_code == 422
    assert loc in locs(response)
    assert counts() == before


def test_rejected_attachment_type_leaves_nothing_behind(as_role, customer, settings):
    before = counts()

    response = as_role("customer").post(
        "/cases",
        {
            "subject": "Virus",
            "text": "see attached",
            "attachments": [
                attachment(),
                attachment(filename="run.exe", content_type="application/x-msdownload"),
            ],
        },
    )

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "payload", "attachments", 1, "content_type"]
    assert "application/x-msdownload" in error["msg"]
    assert counts() == before
    assert not list((settings.MEDIA_ROOT).glob("**/*.*"))


def test_rejected_attachment_of_a_new_api_customer_creates_no_identity(api):
    from caseway.customers.tests.factories import ContactFactory, UserFactory

    user = UserFactory(username="fred")
    ContactFactory(name="Fred", email="fred@globex.test", user=user)
    before = counts()

    response = api.as_user(user).post(
        "/cases",
        {"subject": "s", "text": "t", "attachments": [attachment(content_type="video/mp4")]},
    )

    assert response.status_code == 422
    assert counts() == before


def test_attachment_over_the_size_limit_is_422_with_a_clear_message(as_role, customer, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 1000

    response = as_role("customer").post(
        "/cases",
        {"subject": "s", "text": "t", "attachments": [attachment(content_base64=b64(b"x" * 1001))]},
    )

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "payload", "attachments", 0, "content_base64"]
    assert "1000" in error["msg"]
    assert not Case.objects.exists()


def test_far_larger_attachment_is_refused_before_decoding(as_role, customer, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 1000

    response = as_role("customer").post(
        "/cases",
        {"subject": "s", "text": "t", "attachments": [attachment(content_base64="A" * 8000)]},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "file_too_large"


def test_body_over_the_request_limit_is_413(as_role, customer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = as_role("customer").post("/cases", {"subject": "s", "text": "t" * 2000})

    assert response.status_code == 413
    assert response.json()["detail"]
    assert not Case.objects.exists()


def test_text_over_the_message_limit_is_422(as_role, customer, settings):
    settings.CASEWAY_MESSAGE_MAX_CHARS = 10

    response = as_role("customer").post("/cases", {"subject": "s", "text": "t" * 11})

    assert response.status_code == 422
    assert locs(response) == [["body", "payload", "text"]]


@pytest.mark.parametrize("body", ["{not json", "", "[1, 2]", '"text"'])
def test_malformed_body_is_a_client_error_not_a_500(as_role, customer, body):
    response = as_role("customer").post("/cases", body)

    assert response.status_code in (400, 422)
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "bogus"}, ["query", "status"]),
        ({"priority": "meh"}, ["query", "priority"]),
        ({"channel": "pigeon"}, ["query", "channel"]),
        ({"limit": 101}, ["query", "limit"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
    ],
)
def test_bad_list_filters_are_422_with_the_parameter(as_role, customer, params, loc):
    response = as_role("customer").get("/cases", **params)

    assert response.status_code == 422
    assert loc in locs(response)


def test_status_must_be_a_known_status(as_role, carol_case):
    response = as_role("agent").post(f"/cases/{carol_case.number}/status", {"status": "done"})

    assert response.status_code == 422
    assert locs(response) == [["body", "payload", "status"]]
