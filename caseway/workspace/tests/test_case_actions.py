"""Every action of the case view end to end: database, audit, events, answers and errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from caseway.cases import services
from caseway.cases.events import ActivityAdded, CaseUpdated
from caseway.cases.models import (
    Activity,
    ActivityKind,
    Attachment,
    AuditEntry,
    CasePriority,
    CaseStatus,
    DeliveryStatus,
)
from caseway.cases.tests.factories import QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.intake.events import ReplySent

pytestmark = pytest.mark.django_db


def url(name: str, case) -> str:
    return reverse(name, kwargs={"number": case.number})


def kinds(case) -> list[str]:
    return list(Activity.objects.filter(case=case).values_list("kind", flat=True))


# Reply


def test_reply_sends_a_public_message_and_redirects_back(
    agent_client, agent, case, published, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("workspace:reply", case), {"text": "We are on it."})

    assert response.status_code == 302
    assert response["Location"] == url("workspace:case", case)
    reply = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_OUT)
    assert reply.text == "We are on it."
    assert reply.is_public and reply.author_agent == agent
    assert reply.channel == "email"  # the case came by email: the reply goes out by email
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    [mail] = mailoutbox
    assert mail.extra_headers["Message-ID"].strip("<>") == reply.provider_id
    case.refresh_from_db()
    assert case.first_response_at is not None
    assert case.status == CaseStatus.ACTIVE
    assert any(isinstance(e, ReplySent) and e.activity_id == reply.pk for e in published)
    assert any(isinstance(e, ActivityAdded) and e.kind == "message_out" for e in published)


def test_reply_goes_out_on_the_channel_the_agent_picks(agent_client, case):
    agent_client.post(url("workspace:reply", case), {"text": "Via the API", "channel": "api"})
    reply = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_OUT)
    assert reply.channel == "api"


def test_reply_refuses_a_channel_with_no_adapter(agent_client, case):
    response = agent_client.post(url("workspace:reply", case), {"text": "x", "channel": "fax"})
    assert response.status_code == 422
    assert not Activity.objects.filter(case=case, kind=ActivityKind.MESSAGE_OUT).exists()


def test_reply_then_shows_a_confirmation(agent_client, case):
    response = agent_client.post(url("workspace:reply", case), {"text": "Hi"}, follow=True)

    assert "Reply sent." in response.content.decode()


def test_reply_on_a_portal_case_is_delivered(
    agent_client, customer, receive, django_capture_on_commit_callbacks
):
    case = receive(channel="portal", email="carol@globex.test").case

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url("workspace:reply", case), {"text": "Done"})

    reply = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_OUT)
    assert reply.delivery_status == DeliveryStatus.DELIVERED


def test_reply_can_set_the_status_after_sending(agent_client, agent, case):
    agent_client.post(url("workspace:reply", case), {"text": "Can you check?", "status": "waiting"})

    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING
    assert AuditEntry.objects.filter(case=case, field="status", after="waiting").exists()


def test_reply_with_attachments_stores_them(agent_client, case):
    files = [
        SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
        SimpleUploadedFile("shot.png", b"\x89PNG....", content_type="image/png"),
    ]

    agent_client.post(url("workspace:reply", case), {"text": "Files", "attachments": files})

    reply = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_OUT)
    stored = {a.filename: a for a in reply.attachments.all()}
    assert set(stored) == {"notes.txt", "shot.png"}
    assert stored["notes.txt"].size == 5
    assert stored["notes.txt"].file.read() == b"hello"


def test_reply_with_only_an_attachment_is_allowed(agent_client, case):
    file = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")

    response = agent_client.post(url("workspace:reply", case), {"text": "", "attachments": file})

    assert response.status_code == 302
    assert Attachment.objects.filter(case=case).count() == 1


def test_empty_reply_is_refused_with_a_clear_message_and_no_500(agent_client, case):
    response = agent_client.post(url("workspace:reply", case), {"text": "   "})

    assert response.status_code == 422
    assert "Write something or attach a file before sending." in response.content.decode()
    assert kinds(case) == ["message_in"]


def test_oversized_attachment_is_refused_and_the_text_is_kept(agent_client, case, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("huge.pdf", b"x" * 11, content_type="application/pdf")

    response = agent_client.post(
        url("workspace:reply", case), {"text": "See the PDF", "attachments": big}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert (
        "Attachment refused: “huge.pdf” is 11\xa0bytes; files can be at most 10\xa0bytes." in html
    )
    assert ">See the PDF</textarea>" in html
    assert kinds(case) == ["message_in"]
    assert not Attachment.objects.exists()


def test_attachment_of_a_refused_type_is_refused(agent_client, case):
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")

    response = agent_client.post(url("workspace:reply", case), {"text": "x", "attachments": exe})

    assert response.status_code == 422
    assert "application/x-msdownload file, which cannot be attached" in response.content.decode()
    assert kinds(case) == ["message_in"]


def test_reply_with_a_status_the_case_cannot_reach_is_refused(agent_client, agent, case):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)

    response = agent_client.post(url("workspace:reply", case), {"text": "x", "status": "waiting"})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert ActivityKind.MESSAGE_OUT not in kinds(case)


# Internal note


def test_note_is_internal_and_published(
    agent_client, agent, case, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("workspace:note", case), {"text": "Check the logs"})

    assert response.status_code == 302
    note = Activity.objects.get(case=case, kind=ActivityKind.NOTE)
    assert note.text == "Check the logs"
    assert not note.is_public
    assert note.author_agent == agent
    assert any(isinstance(e, ActivityAdded) and e.kind == "note" for e in published)


def test_empty_note_is_refused(agent_client, case):
    response = agent_client.post(url("workspace:note", case), {"text": ""})

    assert response.status_code == 422
    assert "Write something" in response.content.decode()
    assert ActivityKind.NOTE not in kinds(case)


# Status


def test_status_change_is_audited_put_on_the_timeline_and_published(
    agent_client, agent, case, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("workspace:status", case), {"status": "on_hold"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD
    entry = AuditEntry.objects.get(case=case, field="status")
    assert (entry.before, entry.after, entry.actor) == ("new", "on_hold", agent)
    assert ActivityKind.STATUS_CHANGE in kinds(case)
    assert any(isinstance(e, CaseUpdated) and e.fields == ("status",) for e in published)


def test_resolving_sets_the_resolved_time(agent_client, case):
    agent_client.post(url("workspace:status", case), {"status": "resolved"})

    case.refresh_from_db()
    assert case.resolved_at is not None


def test_transition_not_allowed_shows_a_clear_message(agent_client, agent, case):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)

    response = agent_client.post(url("workspace:status", case), {"status": "waiting"})

    assert response.status_code == 422
    assert "A case cannot go from “Resolved” to “Waiting on customer”." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_unknown_status_is_refused(agent_client, case):
    response = agent_client.post(url("workspace:status", case), {"status": "exploded"})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


# Take and assign


def test_take_assigns_the_case_to_me_with_audit_and_timeline(
    agent_client, agent, case, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("workspace:take", case))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == agent
    entry = AuditEntry.objects.get(case=case, field="owner")
    assert (entry.before, entry.after) == ("", "Ada Agent")
    assignment = Activity.objects.get(case=case, kind=ActivityKind.ASSIGNMENT)
    assert assignment.data["to_id"] == agent.pk
    assert any(isinstance(e, CaseUpdated) and e.fields == ("owner",) for e in published)


def test_assign_to_a_colleague_of_the_queue(agent_client, agent, case):
    colleague = UserFactory(username="bea", first_name="Bea", last_name="Colleague", is_staff=True)
    case.queue.members.add(colleague)

    response = agent_client.post(
        url("workspace:assign", case), {"owner": colleague.pk}, follow=True
    )

    case.refresh_from_db()
    assert case.owner == colleague
    assert "Assigned to Bea Colleague." in response.content.decode()


def test_assign_to_unassigned_puts_the_case_back_in_the_queue(agent_client, agent, case):
    services.assign_case(case=case, owner=agent, actor=agent)

    agent_client.post(url("workspace:assign", case), {"owner": ""})

    case.refresh_from_db()
    assert case.owner is None
    assert AuditEntry.objects.filter(case=case, field="owner", after="").exists()


def test_assign_to_someone_outside_the_queue_is_refused(agent_client, other_agent, case):
    response = agent_client.post(url("workspace:assign", case), {"owner": other_agent.pk})

    assert response.status_code == 422
    case.refresh_from_db()
    assert case.owner is None


def test_taking_a_closed_case_shows_a_clear_message(agent_client, agent, case):
    services.change_status(case=case, status=CaseStatus.CANCELLED, actor=agent)

    response = agent_client.post(url("workspace:take", case))

    assert response.status_code == 422
    assert "This case is closed. Reopen it before assigning it." in response.content.decode()
    case.refresh_from_db()
    assert case.owner is None


# Priority and queue


def test_priority_change_is_audited(agent_client, agent, case):
    response = agent_client.post(url("workspace:priority", case), {"priority": "urgent"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == CasePriority.URGENT
    assert AuditEntry.objects.filter(case=case, field="priority", after="urgent").exists()


def test_unknown_priority_is_refused(agent_client, case):
    assert agent_client.post(url("workspace:priority", case), {"priority": "x"}).status_code == 422


def test_move_to_another_of_my_queues_stays_on_the_case(agent_client, agent, case):
    returns = QueueFactory(name="Returns", slug="returns", members=[agent])

    response = agent_client.post(url("workspace:move", case), {"queue": returns.pk})

    assert response["Location"] == url("workspace:case", case)
    case.refresh_from_db()
    assert case.queue == returns
    assert AuditEntry.objects.filter(case=case, field="queue", after="Returns").exists()


def test_move_to_a_queue_i_do_not_work_returns_to_the_list(agent_client, other_agent, case):
    from caseway.cases.models import Queue

    billing = Queue.objects.get(slug="billing")

    response = agent_client.post(url("workspace:move", case), {"queue": billing.pk}, follow=True)

    assert response.redirect_chain[-1][0] == "/agent/"
    assert f"{case.number} moved to Billing." in response.content.decode()
    case.refresh_from_db()
    assert case.queue == billing


# htmx answers


def test_htmx_reply_returns_the_changed_parts_out_of_band(agent_client, case, htmx_headers):
    response = agent_client.post(url("workspace:reply", case), {"text": "Hi"}, **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    for part in ("case-header", "case-timeline", "case-properties", "case-sla", "case-audit"):
        assert f'id="{part}"' in html
    assert 'id="nav"' in html and 'id="bell"' in html
    # flash, 7 parts (offer banner and routing panel among them), composer, sidebar, bell
    assert html.count('hx-swap-oob="true"') == 11
    assert 'id="case-composer"' in html
    assert "Reply sent." in html
    assert 'data-kind="message_out"' in html


def test_htmx_status_change_leaves_the_composer_alone(agent_client, case, htmx_headers):
    response = agent_client.post(
        url("workspace:status", case), {"status": "waiting"}, **htmx_headers
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="case-composer"' not in html
    assert 'id="reply-status" name="status" data-testid="reply-status" hx-swap-oob="true"' in html
    assert "status-waiting" in html
    assert "Status set to Waiting on customer." in html


def test_htmx_refusal_answers_422_with_the_reason_in_the_composer(agent_client, case, htmx_headers):
    response = agent_client.post(url("workspace:reply", case), {"text": ""}, **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="composer-error"' in html
    assert "Write something or attach a file before sending." in html


def test_htmx_refused_status_change_shows_a_message(agent_client, agent, case, htmx_headers):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)

    response = agent_client.post(
        url("workspace:status", case), {"status": "on_hold"}, **htmx_headers
    )

    assert response.status_code == 422
    assert 'data-testid="flash-error"' in response.content.decode()


def test_htmx_move_out_of_my_queues_redirects_the_browser_to_the_list(
    agent_client, other_agent, case, htmx_headers
):
    from caseway.cases.models import Queue

    billing = Queue.objects.get(slug="billing")

    response = agent_client.post(url("workspace:move", case), {"queue": billing.pk}, **htmx_headers)

    assert response["HX-Redirect"] == "/agent/"


def test_reopen_from_the_header_makes_a_resolved_case_active(agent_client, agent, case):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)

    agent_client.post(url("workspace:status", case), {"status": "active"})

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert case.resolved_at is None


def test_htmx_note_keeps_the_note_tab_open(agent_client, case, htmx_headers):
    response = agent_client.post(url("workspace:note", case), {"text": "n"}, **htmx_headers)

    assert 'data-mode="note"' in response.content.decode()
