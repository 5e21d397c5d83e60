"""Attachments as multipart files on new cases and messages, and downloads: only for those who
see the message the file belongs to."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from caseway.cases.models import Activity, Attachment, Case
from caseway.intake.models import InboundRecord

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(api, path, data):
    headers = {"Authorization": f"Bearer {api.token}"} if api.token else {}
    return api.client.post("/api/v1" + path, data=data, headers=headers)


def png(name="photo.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_open_a_case_with_files(as_role, customer):
    response = upload(
        as_role("customer"),
        "/cases/upload",
        {
            "subject": "Cracked screen",
            "text": "See the photos",
            "client_message_id": "m-1",
            "attachments": [png("front.png"), png("back.png")],
        },
    )

    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.number == response.json()["number"]
    assert case.contact == customer
    assert sorted(a.filename for a in Attachment.objects.filter(case=case)) == [
        "back.png",
        "front.png",
    ]
    assert Attachment.objects.first().file.read() == PNG


def test_a_retry_of_the_upload_opens_nothing_new(as_role):
    carol = as_role("customer")
    data = {"subject": "Once", "text": "only once", "client_message_id": "same"}

    first = upload(carol, "/cases/upload", {**data, "attachments": [png()]})
    second = upload(carol, "/cases/upload", {**data, "attachments": [png()]})

    assert (first.status_code, second.status_code) == (201, 200)
    assert Case.objects.count() == 1
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("role", ["customer", "agent"])
def test_add_a_message_with_files(as_role, carol_case, role):
    response = upload(
        as_role(role),
        f"/cases/{carol_case.number}/messages/upload",
        {"text": "", "attachments": [png("receipt.png")]},
    )

    assert response.status_code == 201, response.content
    [attachment] = response.json()["activity"]["attachments"]
    assert attachment["filename"] == "receipt.png"
    assert attachment["size"] == len(PNG)


def test_a_refused_type_is_422_at_the_file_and_nothing_is_written(as_role):
    before = InboundRecord.objects.count()

    response = upload(
        as_role("customer"),
        "/cases/upload",
        {
            "subject": "Virus",
            "text": "run me",
            "attachments": [png(), png("run.exe", b"MZ", "application/x-msdownload")],
        },
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["file", "attachments", 1]
    assert "not accepted" in error["msg"]
    assert not Case.objects.exists()
    assert InboundRecord.objects.count() == before


def test_a_file_over_the_limit_is_422(settings, as_role, carol_case):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 32

    response = upload(
        as_role("customer"),
        f"/cases/{carol_case.number}/messages/upload",
        {"text": "big", "attachments": [png()]},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["file", "attachments", 0]
    assert not Activity.objects.filter(text="big").exists()


def test_missing_form_fields_are_422_with_their_paths(as_role):
    response = upload(as_role("customer"), "/cases/upload", {"text": "no subject"})

    assert response.status_code == 422
    assert ["form", "subject"] in [error["loc"] for error in response.json()["detail"]]
    assert not Case.objects.exists()


def test_a_message_needs_text_or_a_file(as_role, carol_case):
    response = upload(as_role("customer"), f"/cases/{carol_case.number}/messages/upload", {})

    assert response.status_code == 422


def test_upload_needs_credentials_and_a_visible_case(api, as_role, carol_case):
    assert upload(api, "/cases/upload", {"subject": "x", "text": "y"}).status_code == 401
    response = upload(
        as_role("stranger"),
        f"/cases/{carol_case.number}/messages/upload",
        {"text": "hi", "attachments": [png()]},
    )
    assert response.status_code == 404
    assert not Attachment.objects.exists()


# Downloads: a file on Carol's public message, and one on an internal note.
DOWNLOAD_MATRIX = [
    ("customer", True),
    ("colleague", False),
    ("account_admin", True),
    ("stranger", False),
    ("agent", True),
    ("other_agent", False),
    ("admin_user", True),
]


@pytest.fixture
def carol_file(as_role, carol_case):
    response = upload(
        as_role("customer"),
        f"/cases/{carol_case.number}/messages/upload",
        {"text": "the invoice", "attachments": [png("invoice.png")]},
    )
    return response.json()["activity"]["attachments"][0]["id"]


@pytest.mark.parametrize(("role", "sees"), DOWNLOAD_MATRIX)
def test_download_matrix(as_role, carol_case, carol_file, role, sees):
    response = as_role(role).get(f"/cases/{carol_case.number}/attachments/{carol_file}")

    assert response.status_code == (200 if sees else 404)
    if sees:
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Cache-Control"] == "private, no-store"


def test_a_file_of_an_internal_entry_is_not_for_the_customer(as_role, carol_case, agent):
    note = Activity.objects.create(
        case=carol_case, kind="note", channel="internal", author_agent=agent,
        text="scan", created_at=carol_case.created_at,
    )  # fmt: skip
    hidden = Attachment.objects.create(
        case=carol_case, activity=note, file=png("scan.png"), filename="scan.png",
        content_type="image/png", size=len(PNG),
    )  # fmt: skip
    path = f"/cases/{carol_case.number}/attachments/{hidden.pk}"

    assert as_role("customer").get(path).status_code == 404
    assert as_role("agent").get(path).status_code == 200


def test_a_file_of_another_case_is_404(as_role, carol_case, carol_file, billing_case):
    response = as_role("admin_user").get(f"/cases/{billing_case.number}/attachments/{carol_file}")

    assert response.status_code == 404


def test_download_needs_credentials(api, carol_case, carol_file):
    assert api.get(f"/cases/{carol_case.number}/attachments/{carol_file}").status_code == 401
