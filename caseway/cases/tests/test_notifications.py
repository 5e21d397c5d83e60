"""Notifications to agents: in the workspace at once, by email (over a real SMTP socket)."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from caseway.cases.models import Notification
from caseway.cases.services import mark_notifications_read, notify_users
from caseway.cases.tasks import email_notification
from caseway.cases.tests.factories import CaseFactory


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:  # a free port: the controller checks it by connecting
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield inbox
    controller.stop()


@pytest.fixture
def case(customer, default_queue):
    return CaseFactory(contact=customer, queue=default_queue, subject="Printer on fire")


def test_each_recipient_is_notified_once_and_emailed(
    smtp_server, case, agent, admin_user, django_capture_on_commit_callbacks
):
    agent.email = "ada@caseway.test"
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify_users(recipients=[agent, agent, admin_user], case=case, text="Due in 10 min")
    assert Notification.objects.filter(recipient=agent).count() == 1
    assert Notification.objects.filter(recipient=admin_user).count() == 1
    sent = [m for m in smtp_server.messages if m["To"] == "ada@caseway.test"]
    assert len(sent) == 1
    assert sent[0]["Subject"] == f"[{case.number}] Due in 10 min"
    assert f"/agent/cases/{case.number}/" in sent[0].get_payload()
    assert Notification.objects.get(recipient=agent).emailed_at is not None


def test_an_email_is_sent_once_even_if_the_task_runs_twice(smtp_server, case, agent):
    agent.email = "ada@caseway.test"
    agent.save()
    notification = notify_users(recipients=[agent], case=case, text="Breached")[0]
    assert email_notification.call(notification.pk) == "sent"
    assert email_notification.call(notification.pk) == "already sent"
    assert len(smtp_server.messages) == 1


def test_reading_marks_only_the_readers_notifications(case, agent, admin_user):
    notify_users(recipients=[agent, admin_user], case=case, text="Breached")
    assert mark_notifications_read(user=agent) == 1
    assert Notification.objects.filter(recipient=admin_user, read_at__isnull=True).count() == 1
