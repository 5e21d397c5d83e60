"""My cases and the case page: who sees what, the public timeline, replies and files."""

import uuid

import pytest
from django.urls import reverse

from caseway.cases import services as case_services
from caseway.cases.models import ActivityKind, Case, CaseStatus
from caseway.core.kinds import ChannelKind
from caseway.intake.models import InboundRecord
from caseway.intake.services import send
from caseway.portal.tests.conftest import upload

pytestmark = pytest.mark.django_db

MY_CASES = reverse("portal:my_cases")


def detail(case):
    return reverse("portal:case_detail", args=[case.number])


def reply_url(case):
    return reverse("portal:case_reply", args=[case.number])


def reply(client, case, text="Thanks, still broken.", **extra):
    data = {"provider_id": str(uuid.uuid4()), "text": text, **extra}
    return client.post(reply_url(case), data)


def test_my_cases_needs_a_login(client):
    response = client.get(MY_CASES)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_customer_lists_own_cases_with_status_and_last_activity(client, customer, open_case):
    case = open_case(customer, subject="Broken widget")
    client.force_login(customer.user)

    response = client.get(MY_CASES)

    html = response.content.decode()
    assert 'data-testid="case-list"' in html
    assert case.number in html and "Broken widget" in html
    assert "Received" in html  # the status badge, worded for customers
    assert "Opened by you" in html
    assert "Updated" in html


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("customer", True), ("colleague", False), ("account_admin", True), ("stranger", False)],
)
def test_visibility_of_a_customers_case(
    client, request, customer, colleague, account_admin, stranger, open_case, viewer, sees
):
    case = open_case(customer)
    client.force_login(request.getfixturevalue(viewer).user)

    listed = case.number in client.get(MY_CASES).content.decode()
    page = client.get(detail(case))
    replied = reply(client, case)

    assert listed is sees
    assert page.status_code == (200 if sees else 404)
    assert replied.status_code == (302 if sees else 404)


def test_account_admin_sees_who_opened_each_case(client, customer, account_admin, open_case):
    open_case(customer)
    client.force_login(account_admin.user)

    html = client.get(MY_CASES).content.decode()

    assert "Opened by Carol Customer" in html
    assert "Globex" in html


def test_login_without_customer_profile_sees_no_cases(client, agent, customer, open_case):
    case = open_case(customer)
    client.force_login(agent)

    listing = client.get(MY_CASES)

    assert case.number not in listing.content.decode()
    assert "no customer profile" in listing.content.decode()
    assert client.get(detail(case)).status_code == 404


def test_case_page_shows_public_timeline_and_never_internal_notes(
    client, customer, agent, open_case
):
    case = open_case(customer, text="My question")
    send(case=case, agent=agent, text="Here is the answer")
    case_services.add_note(case=case, agent=agent, text="SECRET internal remark")
    case_services.change_status(case=case, status=CaseStatus.WAITING, actor=agent)
    client.force_login(customer.user)

    response = client.get(detail(case))

    html = response.content.decode()
    assert 'data-testid="timeline"' in html and 'data-testid="reply-form"' in html
    assert "My question" in html and "Here is the answer" in html
    assert "SECRET" not in html
    kinds = [a.kind for a in response.context["timeline"]]
    assert kinds == [ActivityKind.MESSAGE_IN, ActivityKind.MESSAGE_OUT]
    assert html.count('data-testid="activity"') == 2
    assert 'data-kind="message_out"' in html
    assert "Ada Agent" in html and "Waiting for your reply" in html


def test_staff_member_with_a_contact_still_sees_only_public_messages(
    client, customer, agent, open_case
):
    case = open_case(customer)
    case_services.add_note(case=case, agent=agent, text="SECRET internal remark")
    customer.user.is_staff = True
    customer.user.is_superuser = True
    customer.user.save()
    client.force_login(customer.user)

    assert "SECRET" not in client.get(detail(case)).content.decode()


def test_reply_threads_to_the_case_through_intake(client, customer, open_case):
    case = open_case(customer)
    client.force_login(customer.user)

    response = reply(client, case, text="More details")

    assert response.status_code == 302
    assert response["Location"] == detail(case) + "#latest"
    latest = case.activities.order_by("-pk").first()
    assert latest.text == "More details"
    assert latest.channel == ChannelKind.PORTAL
    assert latest.author_contact == customer
    assert Case.objects.count() == 1


def test_same_reply_form_sent_twice_adds_one_message(client, customer, open_case):
    case = open_case(customer)
    client.force_login(customer.user)
    data = {"provider_id": str(uuid.uuid4()), "text": "Only once"}

    client.post(reply_url(case), data)
    client.post(reply_url(case), data)

    assert case.activities.filter(text="Only once").count() == 1
    assert InboundRecord.objects.filter(provider_id=data["provider_id"]).count() == 1


def test_account_admin_replies_on_a_colleagues_case(client, customer, account_admin, open_case):
    case = open_case(customer)
    client.force_login(account_admin.user)

    reply(client, case, text="Adding context as the admin")

    latest = case.activities.order_by("-pk").first()
    assert latest.author_contact == account_admin
    assert Case.objects.count() == 1


def test_reply_to_a_resolved_case_reopens_it(client, customer, agent, open_case):
    case = open_case(customer)
    case_services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)
    client.force_login(customer.user)
    assert "reopen" in client.get(detail(case)).content.decode()

    reply(client, case, text="It broke again")

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert Case.objects.count() == 1


def test_reply_to_a_cancelled_case_opens_a_new_one_and_goes_there(
    client, customer, agent, open_case
):
    case = open_case(customer)
    case_services.change_status(case=case, status=CaseStatus.CANCELLED, actor=agent)
    client.force_login(customer.user)

    response = reply(client, case, text="Please look again")

    new_case = Case.objects.exclude(pk=case.pk).get()
    assert response["Location"] == detail(new_case)
    case.refresh_from_db()
    assert case.status == CaseStatus.CANCELLED


def test_htmx_reply_returns_the_case_panel_with_a_fresh_form(client, customer, open_case):
    case = open_case(customer)
    client.force_login(customer.user)
    provider_id = str(uuid.uuid4())

    response = client.post(
        reply_url(case),
        {"provider_id": provider_id, "text": "Via htmx"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="case-panel"')
    assert "<html" not in html
    assert "Via htmx" in html
    assert provider_id not in html
    assert response["Cache-Control"] == "private, no-store"


def test_empty_reply_is_a_field_error(client, customer, open_case):
    case = open_case(customer)
    client.force_login(customer.user)

    response = reply(client, case, text="   ")

    assert response.status_code == 200
    assert "Write a message or attach a file." in response.content.decode()
    assert case.activities.count() == 1


def test_reply_with_only_a_file_is_accepted(client, customer, open_case):
    case = open_case(customer)
    client.force_login(customer.user)

    reply(client, case, text="", attachments=[upload("log.txt", b"trace")])

    latest = case.activities.order_by("-pk").first()
    assert latest.attachments.get().filename == "log.txt"


def test_reply_with_bad_attachment_is_a_field_error_and_keeps_the_text(
    client, settings, customer, open_case
):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 4
    case = open_case(customer)
    client.force_login(customer.user)

    response = reply(client, case, text="See file", attachments=[upload("big.txt", b"12345")])

    assert "big.txt is too large" in response.content.decode()
    assert "See file" in response.content.decode()
    assert case.activities.count() == 1


def test_reply_needs_post_and_csrf(customer, open_case):
    from django.test import Client

    case = open_case(customer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer.user)

    assert client.get(reply_url(case)).status_code == 405
    refused = client.post(reply_url(case), {"provider_id": str(uuid.uuid4()), "text": "x"})

    assert refused.status_code == 403
    assert case.activities.count() == 1


def test_customer_downloads_a_file_of_a_public_message(client, customer, open_case):
    case = open_case(customer)
    client.force_login(customer.user)
    reply(client, case, attachments=[upload("log.txt", b"trace")])
    attachment = case.attachments.get()

    response = client.get(reverse("portal:case_attachment", args=[case.number, attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"trace"
    assert "attachment" in response["Content-Disposition"]


def test_files_of_internal_notes_and_other_cases_are_not_downloadable(
    client, customer, agent, open_case
):
    case = open_case(customer)
    other = open_case(customer, subject="Other")
    note = case_services.add_note(
        case=case, agent=agent, text="n", attachments=[("x.txt", "text/plain", b"secret")]
    )
    client.force_login(customer.user)
    reply(client, other, attachments=[upload("mine.txt", b"mine")])
    note_file = note.attachments.get()
    other_file = other.attachments.get()

    assert (
        client.get(reverse("portal:case_attachment", args=[case.number, note_file.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("portal:case_attachment", args=[case.number, other_file.pk])).status_code
        == 404
    )


def test_my_cases_pages_through_many_cases(client, customer, open_case):
    for n in range(23):
        open_case(customer, subject=f"Case {n}")
    client.force_login(customer.user)

    first = client.get(MY_CASES)
    second = client.get(MY_CASES, {"page": 2})

    assert len(first.context["page"]) == 20
    assert len(second.context["page"]) == 3
    assert "Page 1 of 2" in first.content.decode()


def test_my_cases_query_count_does_not_grow_with_cases(
    client, customer, open_case, django_assert_max_num_queries
):
    for n in range(5):
        open_case(customer, subject=f"Case {n}")
    client.force_login(customer.user)

    with django_assert_max_num_queries(8):
        client.get(MY_CASES)


def test_unknown_case_number_is_404(client, customer):
    client.force_login(customer.user)

    assert client.get(reverse("portal:case_detail", args=["CW-99999"])).status_code == 404
    assert client.get(reverse("portal:case_detail", args=["nonsense"])).status_code == 404
