"""A visitor's private link: it shows one case, takes replies, and refuses forgeries."""

import uuid

import pytest
from django.core import signing
from django.urls import reverse

from caseway.cases import services as case_services
from caseway.cases.models import Case, CaseStatus
from caseway.intake.services import send
from caseway.portal.tests.conftest import upload
from caseway.portal.tokens import SALT, make_case_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor_case(client, default_queue):
    client.post(
        reverse("portal:new_case"),
        {
            "provider_id": str(uuid.uuid4()),
            "name": "Vera Visitor",
            "email": "vera@example.test",
            "subject": "Lost parcel",
            "text": "Where is my parcel?",
        },
    )
    return Case.objects.get()


def link(case):
    return reverse("portal:case_link", args=[make_case_token(case)])


def test_token_is_the_signed_case_and_contact(visitor_case):
    token = make_case_token(visitor_case)

    assert signing.loads(token, salt=SALT) == {
        "case": visitor_case.pk,
        "contact": visitor_case.contact_id,
    }


def test_private_link_shows_the_public_timeline_and_a_reply_form(client, visitor_case, agent):
    send(case=visitor_case, agent=agent, text="We are looking for it")
    case_services.add_note(case=visitor_case, agent=agent, text="SECRET courier issue")

    response = client.get(link(visitor_case))

    html = response.content.decode()
    assert response.status_code == 200
    assert visitor_case.number in html
    assert "Where is my parcel?" in html and "We are looking for it" in html
    assert "SECRET" not in html
    assert 'data-testid="reply-form"' in html
    assert response["Cache-Control"] == "private, no-store"
    assert 'name="referrer" content="no-referrer"' in html


def test_private_link_hides_notes_even_from_a_signed_in_agent(client, visitor_case, agent):
    case_services.add_note(case=visitor_case, agent=agent, text="SECRET courier issue")
    client.force_login(agent)

    assert "SECRET" not in client.get(link(visitor_case)).content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps({"case": 1, "contact": 1}, salt="another.salt"),
        signing.dumps({"case": "1", "contact": 1}, salt=SALT),
        signing.dumps([1, 1], salt=SALT),
    ],
    # Fixed ids: signed tokens hold a timestamp, and pytest-xdist needs every worker to
    # collect the same test names.
    ids=["garbage", "other-salt", "case-id-not-int", "not-a-dict"],
)
def test_bad_tokens_are_404(client, visitor_case, token):
    assert client.get(reverse("portal:case_link", args=[token])).status_code == 404


def test_tampered_token_is_404(client, visitor_case):
    token = make_case_token(visitor_case)
    _payload, rest = token.split(":", 1)
    forged = signing.b64_encode(b'{"case":2,"contact":1}').decode() + ":" + rest

    assert client.get(reverse("portal:case_link", args=[forged])).status_code == 404
    assert (
        client.post(reverse("portal:case_link_reply", args=[forged]), {"text": "x"}).status_code
        == 404
    )


def test_token_for_a_case_of_another_contact_is_404(client, visitor_case, customer):
    token = signing.dumps({"case": visitor_case.pk, "contact": customer.pk}, salt=SALT)

    assert client.get(reverse("portal:case_link", args=[token])).status_code == 404


def test_reply_through_the_private_link_threads_to_the_case(client, visitor_case):
    token = make_case_token(visitor_case)

    response = client.post(
        reverse("portal:case_link_reply", args=[token]),
        {"provider_id": str(uuid.uuid4()), "text": "Any news?", "attachments": [upload()]},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_link", args=[token]) + "#latest"
    latest = visitor_case.activities.order_by("-pk").first()
    assert latest.text == "Any news?"
    assert latest.author_contact == visitor_case.contact
    assert latest.attachments.count() == 1
    assert Case.objects.count() == 1


def test_reply_through_the_private_link_reopens_a_resolved_case(client, visitor_case, agent):
    case_services.change_status(case=visitor_case, status=CaseStatus.RESOLVED, actor=agent)

    client.post(
        reverse("portal:case_link_reply", args=[make_case_token(visitor_case)]),
        {"provider_id": str(uuid.uuid4()), "text": "Still missing"},
    )

    visitor_case.refresh_from_db()
    assert visitor_case.status == CaseStatus.ACTIVE


def test_private_link_reply_enforces_csrf(visitor_case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("portal:case_link_reply", args=[make_case_token(visitor_case)]),
        {"provider_id": str(uuid.uuid4()), "text": "x"},
    )

    assert response.status_code == 403


def test_file_download_through_the_private_link(client, visitor_case, agent):
    send(
        case=visitor_case,
        agent=agent,
        text="Label attached",
        attachments=[("label.pdf", "application/pdf", b"%PDF-1.4")],
    )
    attachment = visitor_case.attachments.get()
    token = make_case_token(visitor_case)

    response = client.get(reverse("portal:case_link_attachment", args=[token, attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
