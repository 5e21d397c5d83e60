"""The new case form: visitors with an email, signed-in customers, replays and refusals."""

import uuid

import pytest
from django.urls import reverse

from caseway.cases.models import Attachment, Case
from caseway.core.kinds import ChannelKind
from caseway.customers.models import Contact
from caseway.intake.exceptions import MessageRejected
from caseway.intake.models import InboundRecord
from caseway.portal.tests.conftest import upload

pytestmark = pytest.mark.django_db

NEW = reverse("portal:new_case")


def visitor_form(**overrides):
    data = {
        "provider_id": str(uuid.uuid4()),
        "name": "Vera Visitor",
        "email": "Vera@Example.test",
        "subject": "Cannot log in",
        "text": "The page says my password is wrong.",
    }
    data.update(overrides)
    return data


def test_visitor_sees_name_and_email_fields_and_a_fresh_provider_id(client):
    first = client.get(NEW)
    second = client.get(NEW)

    assert first.status_code == 200
    html = first.content.decode()
    assert 'data-testid="new-case-form"' in html
    assert 'name="email"' in html and 'name="name"' in html
    assert 'name="attachments"' in html and "multiple" in html
    assert first.context["provider_id"] != second.context["provider_id"]
    assert f'value="{first.context["provider_id"]}"' in html


def test_visitor_submission_opens_a_case_for_a_new_contact_through_intake(client, default_queue):
    data = visitor_form()

    response = client.post(NEW, data)

    case = Case.objects.get()
    assert case.contact.email == "vera@example.test"
    assert case.contact.name == "Vera Visitor"
    assert case.queue == default_queue
    assert case.queue.name == "General"
    assert case.origin_channel == ChannelKind.PORTAL
    assert case.subject == "Cannot log in"
    message = case.activities.get()
    assert message.text == "The page says my password is wrong."
    assert message.provider_id == data["provider_id"]
    assert InboundRecord.objects.get().provider_id == data["provider_id"]
    assert response.status_code == 302
    assert response["Location"].startswith("/c/")
    assert response["Location"].endswith("/submitted/")


def test_confirmation_shows_case_number_and_private_link(client, default_queue):
    response = client.post(NEW, visitor_form(), follow=True)

    case = Case.objects.get()
    html = response.content.decode()
    assert case.number in html
    link = response.context["private_link"]
    assert link.startswith("http://testserver/c/")
    assert client.get(link).status_code == 200
    assert 'name="referrer" content="no-referrer"' in html


def test_sending_the_same_form_twice_is_a_replay_that_changes_nothing(client, default_queue):
    data = visitor_form()

    first = client.post(NEW, data)
    second = client.post(NEW, data)

    assert Case.objects.count() == 1
    assert Contact.objects.count() == 1
    assert Case.objects.get().activities.count() == 1
    assert InboundRecord.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert client.get(second["Location"]).context["case"] == Case.objects.get()


def test_signed_in_customer_writes_as_their_contact_and_lands_on_the_case(
    client, customer, default_queue
):
    client.force_login(customer.user)
    form = client.get(NEW)
    assert 'name="email"' not in form.content.decode()

    response = client.post(
        NEW,
        {
            "provider_id": form.context["provider_id"],
            "subject": "Invoice question",
            "text": "Why two invoices?",
            # a signed-in customer cannot write as someone else
            "email": "someone@else.test",
        },
    )

    case = Case.objects.get()
    assert case.contact == customer
    assert case.account == customer.account
    assert case.origin_channel == ChannelKind.PORTAL
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_detail", args=[case.number])
    assert Contact.objects.count() == 1


def test_signed_in_customer_without_identity_gets_one_for_their_primary_email(
    client, default_queue
):
    from caseway.customers.tests.factories import ContactFactory, UserFactory

    contact = ContactFactory(email="nina@new.test", user=UserFactory(username="nina"))
    client.force_login(contact.user)

    client.post(NEW, visitor_form(name="", email=""))

    case = Case.objects.get()
    assert case.contact == contact
    assert contact.identities.get().address == "nina@new.test"


def test_attachments_reach_the_case(client, default_queue):
    data = visitor_form(
        attachments=[upload("a.txt", b"first"), upload("shot.png", b"\x89PNG", "image/png")]
    )

    client.post(NEW, data)

    files = Attachment.objects.order_by("filename")
    assert [f.filename for f in files] == ["a.txt", "shot.png"]
    assert files[0].activity.case == Case.objects.get()


def test_file_of_unknown_browser_type_is_judged_by_its_name(client, default_queue):
    client.post(
        NEW, visitor_form(attachments=[upload("r.pdf", b"%PDF", "application/octet-stream")])
    )

    assert Attachment.objects.get().content_type == "application/pdf"


def test_too_large_attachment_is_a_field_error_and_keeps_what_was_typed(
    client, settings, default_queue
):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 10
    data = visitor_form(attachments=[upload("big.txt", b"x" * 11)])

    response = client.post(NEW, data)

    assert response.status_code == 200
    errors = response.context["form"].errors["attachments"]
    assert "big.txt is too large" in errors[0]
    html = response.content.decode()
    assert "The page says my password is wrong." in html
    assert f'value="{data["provider_id"]}"' in html
    assert not Case.objects.exists()
    assert not InboundRecord.objects.exists()


def test_attachment_of_forbidden_type_is_a_field_error(client, default_queue):
    data = visitor_form(attachments=[upload("run.exe", b"MZ", "application/x-msdownload")])

    response = client.post(NEW, data)

    assert (
        "run.exe is a kind of file we cannot accept"
        in response.context["form"].errors["attachments"][0]
    )
    assert not Case.objects.exists()


def test_missing_fields_and_bad_email_are_field_errors(client, default_queue):
    response = client.post(NEW, visitor_form(email="not-an-email", subject="", text=""))

    errors = response.context["form"].errors
    assert set(errors) == {"email", "subject", "text"}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Case.objects.exists()


def test_tampered_provider_id_is_refused_without_a_case(client, default_queue):
    response = client.post(NEW, visitor_form(provider_id="../../etc"))

    assert response.status_code == 200
    assert "provider_id" in response.context["form"].errors
    assert "Something went wrong with this form" in response.content.decode()
    assert not Case.objects.exists()


def test_message_intake_rejects_shows_the_form_again_with_a_fresh_provider_id(
    client, default_queue, monkeypatch
):
    def refuse(message):
        raise MessageRejected("no")

    monkeypatch.setattr("caseway.portal.views.submit.receive", refuse)
    data = visitor_form()

    response = client.post(NEW, data)

    assert response.status_code == 200
    assert "We could not accept this message" in response.content.decode()
    assert "The page says my password is wrong." in response.content.decode()
    assert str(response.context["provider_id"]) != data["provider_id"]


def test_csrf_is_enforced_on_the_new_case_form(default_queue):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post(NEW, visitor_form())

    assert response.status_code == 403
    assert not Case.objects.exists()


def test_form_with_csrf_token_passes_csrf_checks(default_queue):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get(NEW)
    token = page.cookies["csrftoken"].value

    response = client.post(NEW, visitor_form(csrfmiddlewaretoken=token))

    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_customer_whose_contract_refuses_new_cases_is_told_why(client, customer):
    from caseway.sla.models import EntitlementTerm, OnExhausted
    from caseway.sla.tests.factories import EntitlementFactory

    EntitlementFactory(
        name="Gold support", account=customer.account, term=EntitlementTerm.CASES,
        total=5, remaining=0, on_exhausted=OnExhausted.BLOCK,
    )  # fmt: skip
    client.force_login(customer.user)

    response = client.post(NEW, {"provider_id": str(uuid.uuid4()), "subject": "Hi", "text": "Hi"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "The contract Gold support has no cases or hours left." in html
    assert "account manager" in html
    assert not Case.objects.exists()
