"""Email through the one intake path: what each kind of mail becomes."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from caseway.cases.models import Activity, ActivityKind, Attachment, Case, DeliveryStatus
from caseway.intake.mail import receive_email
from caseway.intake.models import EmailSource, EmailStatus, InboundEmail, InboundRecord
from caseway.intake.services import send
from caseway.intake.tests.email_support import FIXTURES, eml

pytestmark = pytest.mark.django_db


def receive(raw, **kwargs):
    return receive_email(raw=raw, source=kwargs.pop("source", EmailSource.FILE), **kwargs)


def test_outlook_message_opens_a_case_in_the_mailbox_queue(mailboxes):
    outcome = receive(eml("outlook.eml"))
    assert (outcome.status, outcome.is_new_case) == (EmailStatus.PROCESSED, True)
    case = Case.objects.get()
    assert case.number == outcome.case_number
    assert case.queue == mailboxes["support"].queue
    assert case.origin_channel == "email"
    assert case.subject == "Router keeps dropping the connection"
    [message] = case.activities.filter(kind=ActivityKind.MESSAGE_IN)
    assert "<script>" not in message.html and "alert(1)" not in message.html
    assert message.data["received_on"] == "support@caseway.localhost"
    email = InboundEmail.objects.get()
    assert bytes(email.raw) == eml("outlook.eml")
    assert (email.status, email.case, email.mailbox) == (
        EmailStatus.PROCESSED,
        case,
        mailboxes["support"],
    )
    assert message.data["inbound_email"] == email.pk
    [pdf] = Attachment.objects.all()
    assert (pdf.filename, pdf.activity) == ("router-log.pdf", message)


def test_mail_to_billing_lands_in_the_billing_queue(mailboxes):
    receive(eml("thunderbird_iso8859.eml"))
    case = Case.objects.get()
    assert case.queue == mailboxes["billing"].queue
    assert case.contact.name == "J\u00fcrgen M\u00fcller"


def test_the_same_mail_again_changes_nothing(mailboxes):
    first = receive(eml("outlook.eml"), source=EmailSource.SMTP)
    again = receive(eml("outlook.eml"), source=EmailSource.IMAP)
    assert again.is_replay and again.case_number == first.case_number
    assert (Case.objects.count(), Activity.objects.filter(kind="message_in").count()) == (1, 1)
    assert (InboundEmail.objects.count(), InboundRecord.objects.count()) == (1, 1)


def test_inline_image_is_stored_and_the_html_keeps_its_cid(mailboxes):
    receive(eml("apple_mail_related.eml"))
    message = Activity.objects.get(kind=ActivityKind.MESSAGE_IN)
    assert 'src="cid:8A1C3E5F-photo@icloud.example"' in message.html
    assert "onerror" not in message.html
    assert message.data["email"]["inline"] == {"8A1C3E5F-photo@icloud.example": "photo.png"}
    assert Attachment.objects.get().content_type == "image/png"


def test_html_only_message_is_sanitised(mailboxes):
    receive(eml("alternative_html_only.eml"))
    message = Activity.objects.get(kind=ActivityKind.MESSAGE_IN)
    assert "javascript:" not in message.html
    assert message.text.startswith("My order 5531 never arrived.")


def test_reply_with_case_number_in_the_subject_threads(mailboxes):
    receive(eml("outlook.eml"))
    case = Case.objects.get()
    raw = (
        b"From: Anna Berg <anna.berg@contoso.example>\r\nTo: support@caseway.localhost\r\n"
        b"Subject: Re: Router keeps dropping [" + case.number.encode() + b"]\r\n"
        b"Message-ID: <second@contoso.example>\r\n\r\nStill broken.\r\n"
    )
    outcome = receive(raw)
    assert (outcome.case_number, outcome.is_new_case) == (case.number, False)


def test_malformed_message_is_kept_as_failed_with_a_clear_reason(mailboxes):
    outcome = receive(eml("malformed.eml"))
    assert outcome.status == EmailStatus.FAILED
    assert "no valid From address" in outcome.detail
    email = InboundEmail.objects.get()
    assert bytes(email.raw) == eml("malformed.eml")
    assert not Case.objects.exists()


def test_oversize_attachment_is_refused_but_the_raw_message_is_kept(mailboxes, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 10
    outcome = receive(eml("outlook.eml"))
    assert outcome.status == EmailStatus.FAILED
    assert "router-log.pdf" in outcome.detail and "limit" in outcome.detail
    assert bytes(InboundEmail.objects.get().raw) == eml("outlook.eml")
    assert InboundRecord.objects.get().status == "failed"
    assert not Case.objects.exists()
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    retried = receive(eml("outlook.eml"))
    assert (retried.status, retried.is_new_case) == (EmailStatus.PROCESSED, True)


def test_mail_from_our_own_address_is_a_loop_and_opens_nothing(mailboxes):
    raw = (
        b"From: Caseway Billing <billing@caseway.localhost>\r\nTo: support@caseway.localhost\r\n"
        b"Subject: Re: hello\r\nMessage-ID: <loop@caseway.localhost>\r\n\r\nLoop?\r\n"
    )
    outcome = receive(raw)
    assert outcome.status == EmailStatus.LOOP
    assert not Case.objects.exists()


@pytest.fixture
def replied_case(mailboxes, agent, django_capture_on_commit_callbacks, mailoutbox):
    receive(eml("outlook.eml"))
    case = Case.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = send(case=case, agent=agent, text="Please restart the router.")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    return case, reply


def test_out_of_office_is_noted_on_the_case_and_never_answered(replied_case, mailoutbox):
    case, reply = replied_case
    sent_before = len(mailoutbox)
    status_before = Case.objects.get(pk=case.pk).status
    outcome = receive(
        eml("out_of_office.eml", REPLY_TO_ID=reply.provider_id, **{"CW-REF": case.number})
    )
    assert (outcome.status, outcome.case_number) == (EmailStatus.AUTO_REPLY, case.number)
    note = case.activities.get(kind=ActivityKind.NOTE)
    assert "out of the office" in note.text and not note.is_public
    assert case.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 1
    assert Case.objects.get(pk=case.pk).status == status_before
    assert len(mailoutbox) == sent_before


def test_bounce_marks_the_reply_failed_and_says_so_on_the_case(replied_case):
    case, reply = replied_case
    outcome = receive(
        eml("bounce_dsn.eml", REPLY_TO_ID=reply.provider_id, **{"CW-REF": case.number})
    )
    assert (outcome.status, outcome.case_number) == (EmailStatus.BOUNCE, case.number)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "5.1.1" in reply.data["delivery_detail"]
    note = case.activities.get(kind=ActivityKind.NOTE)
    assert "could not be delivered" in note.text and "nobody@contoso.example" in note.text
    assert Case.objects.count() == 1


def test_bounce_of_a_message_we_do_not_know_is_kept_and_opens_nothing(mailboxes):
    outcome = receive(eml("bounce_dsn.eml", REPLY_TO_ID="unknown@elsewhere.example"))
    assert outcome.status == EmailStatus.BOUNCE
    assert not Case.objects.exists()


def test_ingest_eml_reports_each_file_and_fails_when_one_failed(mailboxes, capsys, tmp_path):
    missing = tmp_path / "missing.eml"
    with pytest.raises(CommandError, match="2 of 4 files failed"):
        call_command(
            "ingest_eml",
            str(FIXTURES / "outlook.eml"),
            str(FIXTURES / "malformed.eml"),
            str(missing),
            str(FIXTURES / "outlook.eml"),
        )
    out, err = capsys.readouterr()
    case = Case.objects.get()
    assert f"outlook.eml: new case {case.number}" in out
    assert f"outlook.eml: already received (processed) {case.number}" in out
    assert "malformed.eml: failed" in err and "no valid From address" in err
    assert "missing.eml: cannot read" in err


def test_ingest_eml_succeeds_when_every_file_went_in(mailboxes, capsys):
    call_command(
        "ingest_eml", str(FIXTURES / "shift_jis.eml"), "--mailbox", "billing@caseway.localhost"
    )
    assert Case.objects.get().queue == mailboxes["billing"].queue


def test_inline_image_shows_in_the_case_view(mailboxes, agent, client):
    receive(eml("apple_mail_related.eml"))
    case = Case.objects.get()
    case.queue.members.add(agent)
    client.force_login(agent)
    page = client.get(f"/agent/cases/{case.number}/").content.decode()
    image = Attachment.objects.get()
    url = f"/agent/cases/{case.number}/attachments/{image.pk}/"
    assert f'src="{url}"' in page
    assert "cid:8A1C3E5F" not in page
    assert client.get(url).status_code == 200
