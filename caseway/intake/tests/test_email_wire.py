"""Email end to end over real sockets: Caseway's SMTP listener, a real SMTP relay for
replies (aiosmtpd), and a real IMAP server (Dovecot)."""

import smtplib

import pytest

from caseway.cases.models import ActivityKind, Case, DeliveryStatus
from caseway.intake.mail import poll_mailboxes
from caseway.intake.models import EmailSource, EmailStatus, ImapSecurity, InboundEmail, Mailbox
from caseway.intake.services import send
from caseway.intake.tests.email_support import eml

pytestmark = pytest.mark.django_db(transaction=True)


def smtp_send(listener, raw, *, to=("support@caseway.localhost",), sender="anna@contoso.example"):
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        return client.sendmail(sender, list(to), raw)


def test_mail_sent_to_the_listener_opens_a_case(listener, mailboxes):
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size")
        client.mail("anna.berg@contoso.example")
        assert client.rcpt("support@caseway.localhost")[0] == 250
        code, reply = client.data(eml("outlook.eml"))
    assert code == 250
    case = Case.objects.get()
    assert case.number in reply.decode()
    assert case.queue == mailboxes["support"].queue
    email = InboundEmail.objects.get()
    assert (email.source, email.envelope_to) == (EmailSource.SMTP, ["support@caseway.localhost"])
    assert email.envelope_from == "anna.berg@contoso.example"


def test_listener_refuses_addresses_that_are_not_ours(listener, mailboxes):
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail("anna.berg@contoso.example")
        code, _ = client.rcpt("someone@elsewhere.example")
    assert code == 550
    assert not InboundEmail.objects.exists()


def test_listener_refuses_a_message_over_the_size_limit_with_552(listener, mailboxes):
    big = eml("outlook.eml") + (b"x" * 76 + b"\r\n") * 3300
    # A client that announces the size is refused at MAIL FROM ...
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        smtp_send(listener, big)
    assert refused.value.smtp_code == 552
    # ... one that does not, after DATA.
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail("anna.berg@contoso.example")
        client.rcpt("support@caseway.localhost")
        code, reply = client.data(big)
    assert code == 552, reply
    assert not InboundEmail.objects.exists()


def test_replayed_smtp_delivery_creates_nothing_new(listener, mailboxes):
    smtp_send(listener, eml("outlook.eml"))
    smtp_send(listener, eml("outlook.eml"))
    assert Case.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_agent_reply_threads_and_the_customers_answer_lands_on_the_same_case(
    listener, mailboxes, relay, agent
):
    smtp_send(listener, eml("thunderbird_iso8859.eml"), to=["billing@caseway.localhost"])
    case = Case.objects.get()
    activity = send(case=case, agent=agent, text="We refunded the second charge.")
    activity.refresh_from_db()
    assert activity.delivery_status == DeliveryStatus.SENT
    [sent] = relay.messages
    assert relay.envelopes[0][1] == ["juergen.mueller@posteo.example"]
    assert sent["From"].addresses[0].addr_spec == "billing@caseway.localhost"
    assert sent["From"].addresses[0].display_name == "Caseway Billing"
    customer_id = "b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d@posteo.example"
    assert sent["In-Reply-To"] == f"<{customer_id}>"
    assert f"<{customer_id}>" in sent["References"]
    assert f"[{case.number}]" in sent["Subject"]
    message_id = sent["Message-ID"].strip("<>")
    assert activity.provider_id == message_id

    answer = (
        "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen.mueller@posteo.example>\r\n"
        "To: billing@caseway.localhost\r\n"
        "Subject: Re: Doppelte Abbuchung im M=E4rz\r\n"
        "Message-ID: <answer-1@posteo.example>\r\n"
        f"In-Reply-To: <{message_id}>\r\n"
        f"References: <{customer_id}> <{message_id}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Danke, angekommen.\r\n\r\n"
        f"Am 01.12.2026 schrieb Caseway Billing <billing@caseway.localhost>:\r\n"
        "> We refunded the second charge.\r\n"
    ).encode()
    smtp_send(
        listener, answer, to=["billing@caseway.localhost"], sender="juergen.mueller@posteo.example"
    )
    assert Case.objects.count() == 1
    latest = case.activities.filter(kind=ActivityKind.MESSAGE_IN).order_by("-pk").first()
    assert latest.text == "Danke, angekommen."
    assert latest.provider_id == "answer-1@posteo.example"


def test_reply_that_smtp_refuses_is_marked_failed(mailboxes, agent, settings):
    from caseway.intake.mail import receive_email
    from caseway.intake.tests.email_support import free_port

    receive_email(raw=eml("outlook.eml"), source=EmailSource.FILE)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    activity = send(case=Case.objects.get(), agent=agent, text="Hello")
    activity.refresh_from_db()
    assert activity.delivery_status == DeliveryStatus.FAILED
    assert "SMTP" in activity.data["delivery_detail"]


@pytest.fixture
def imap_mailbox(dovecot, mailboxes, monkeypatch):
    monkeypatch.setenv("CASEWAY_TEST_IMAP_PASSWORD", dovecot.users["support"])
    mailbox = mailboxes["support"]
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security=ImapSecurity.NONE,
        imap_username="support",
        imap_password_setting="CASEWAY_TEST_IMAP_PASSWORD",
    )
    return mailbox


def test_imap_polling_takes_unseen_mail_and_marks_it_seen_after_intake(dovecot, imap_mailbox):
    dovecot.append("support", eml("outlook.eml"))
    dovecot.append("support", eml("apple_mail_related.eml"))
    assert len(dovecot.unseen("support")) == 2
    assert poll_mailboxes() == 2
    assert Case.objects.count() == 2
    assert set(InboundEmail.objects.values_list("source", "status")) == {
        (EmailSource.IMAP, EmailStatus.PROCESSED)
    }
    assert dovecot.unseen("support") == []
    assert poll_mailboxes() == 0  # nothing new: seen mail is not fetched again
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_polled_at is not None and imap_mailbox.last_poll_error == ""


def test_imap_message_that_could_not_be_stored_stays_unseen(dovecot, imap_mailbox, monkeypatch):
    from caseway.intake import mail

    def broken(**kwargs):
        raise RuntimeError("database is down")

    dovecot.append("support", eml("outlook.eml"))
    monkeypatch.setattr(mail, "receive_email", broken)
    assert poll_mailboxes() == 0
    assert len(dovecot.unseen("support")) == 1


def test_imap_mail_seen_again_through_another_path_is_a_replay(dovecot, imap_mailbox, listener):
    smtp_send(listener, eml("outlook.eml"))
    dovecot.append("support", eml("outlook.eml"))
    assert poll_mailboxes() == 1
    assert (Case.objects.count(), InboundEmail.objects.count()) == (1, 1)
    assert dovecot.unseen("support") == []


def test_imap_wrong_password_is_recorded_on_the_mailbox(dovecot, imap_mailbox, monkeypatch):
    monkeypatch.setenv("CASEWAY_TEST_IMAP_PASSWORD", "wrong")
    assert poll_mailboxes() == 0
    imap_mailbox.refresh_from_db()
    assert "support@127.0.0.1" in imap_mailbox.last_poll_error


def test_benchmark_driver_sends_new_messages_and_replies_that_thread(listener, mailboxes):
    from django.db import connection

    from bench import channel_email

    channel_email.setup()
    # The test database on SQLite lives in memory (shared cache), where concurrent writers
    # fail at once instead of waiting: one connection there, two on PostgreSQL.
    concurrency = 1 if connection.vendor == "sqlite" else 2
    latencies = channel_email.drive(
        web_url="", smtp_port=listener.port, count=6, concurrency=concurrency
    )
    assert len(latencies) == 6 and all(ns > 0 for ns in latencies)
    assert Case.objects.count() == 3
    assert all(
        case.activities.filter(kind="message_in").count() == 2 for case in Case.objects.all()
    )
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.PROCESSED}
