"""The case view: header, timeline, forms, side panels, attachments and query counts."""

import pytest
from django.urls import reverse

from caseway.cases import services
from caseway.cases.models import CaseStatus
from caseway.cases.tests.factories import QueueFactory
from caseway.connectors.messages import AttachmentIn
from caseway.customers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page(client, case) -> str:
    response = client.get(reverse("workspace:case", kwargs={"number": case.number}))
    assert response.status_code == 200
    return response.content.decode()


def test_header_shows_number_subject_status_priority_queue_owner_and_contact(
    agent_client, agent, case
):
    services.assign_case(case=case, owner=agent, actor=agent)

    html = page(agent_client, case)

    header = html[html.index('id="case-header"') : html.index('id="case-timeline"')]
    assert case.number in header
    assert "Printer on fire" in header
    assert "status-active" not in header and "status-new" in header
    assert "prio-normal" in header
    assert "General" in header
    assert "Ada Agent" in header
    assert "Carol Customer" in header and "Globex" in header
    assert 'data-testid="preferred"' in header
    assert "Created" in header and "First response" in header and "Resolved" in header


def test_header_shows_time_to_first_response_once_answered(agent_client, agent, case):
    from caseway.intake.services import send

    send(case=case, agent=agent, text="On it")

    html = page(agent_client, case)

    assert "after under a minute" in html


def test_timeline_shows_every_kind_of_activity_with_author_channel_and_time(
    agent_client, agent, case, receive
):
    from caseway.intake.services import send

    send(case=case, agent=agent, text="We are looking into it.")
    services.add_note(case=case, agent=agent, text="Call the fire brigade")
    services.change_status(case=case, status=CaseStatus.WAITING, actor=agent)
    services.assign_case(case=case, owner=agent, actor=agent)

    html = page(agent_client, case)

    assert 'data-testid="timeline"' in html
    for kind in ("message_in", "message_out", "note", "status_change", "assignment"):
        assert f'data-testid="activity" data-kind="{kind}"' in html
    assert "entry-note" in html and "Internal" in html
    assert "Call the fire brigade" in html
    assert "Ada Agent" in html and "replied" in html
    assert 'data-testid="delivery"' in html and "Pending" in html
    assert "took the case" in html
    assert "Waiting on customer" in html


def test_timeline_renders_clean_html_as_html_and_escapes_plain_text(agent_client, case, receive):
    receive(
        email="carol@globex.test",
        text="<script>alert(1)</script> plain",
        case_reference=case.number,
    )
    receive(
        email="carol@globex.test",
        html="<p>Rich <strong>bold</strong></p><script>alert(2)</script>",
        case_reference=case.number,
    )

    html = page(agent_client, case)

    assert "&lt;script&gt;alert(1)&lt;/script&gt; plain" in html
    assert "<strong>bold</strong>" in html
    assert "alert(2)" not in html


def test_attachments_are_listed_and_downloadable_by_agents_who_see_the_case(
    client, agent_client, other_agent, case, receive
):
    activity = receive(
        email="carol@globex.test",
        text="See attached",
        case_reference=case.number,
        attachments=(AttachmentIn("log.txt", "text/plain", b"line one\n"),),
    ).activity
    attachment = activity.attachments.get()
    url = reverse(
        "workspace:attachment", kwargs={"number": case.number, "attachment_id": attachment.pk}
    )

    html = page(agent_client, case)
    download = agent_client.get(url)
    client.force_login(other_agent)

    assert "log.txt" in html and f'href="{url}"' in html
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"line one\n"
    assert 'attachment; filename="log.txt"' in download["Content-Disposition"]
    assert client.get(url).status_code == 404


def test_attachment_of_another_case_is_404(agent_client, case, receive):
    other = receive(
        email="zed@example.test",
        attachments=(AttachmentIn("a.txt", "text/plain", b"a"),),
    )
    attachment = other.activity.attachments.get()
    url = reverse(
        "workspace:attachment", kwargs={"number": case.number, "attachment_id": attachment.pk}
    )

    assert agent_client.get(url).status_code == 404


def test_forms_carry_their_test_hooks_and_field_names(agent_client, case):
    html = page(agent_client, case)

    for hook in ("reply-form", "note-form", "status-form", "take-button"):
        assert f'data-testid="{hook}"' in html
    assert 'name="text"' in html
    assert 'type="file" name="attachments" multiple' in html
    assert "Send reply</button>" in html
    assert "Add note</button>" in html
    assert "Update status</button>" in html
    assert 'enctype="multipart/form-data"' in html


def test_status_select_offers_only_the_allowed_next_statuses(agent_client, agent, case):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)

    html = page(agent_client, case)

    form = html[html.index('data-testid="status-form"') : html.index('data-testid="priority-form"')]
    assert '<option value="active">' in form
    assert form.count("<option") == 1


def test_assign_select_lists_the_queues_agents_and_unassigned(agent_client, agent, case):
    colleague = UserFactory(username="bea", first_name="Bea", last_name="Colleague", is_staff=True)
    case.queue.members.add(colleague)
    outsider = UserFactory(username="out", first_name="Out", last_name="Sider", is_staff=True)

    html = page(agent_client, case)

    form = html[html.index('data-testid="assign-form"') :]
    form = form[: form.index("</form>")]
    assert ">Unassigned</option>" in form
    assert f'value="{colleague.pk}"' in form and "Bea Colleague" in form
    assert f'value="{agent.pk}"' in form and "(me)" in form
    assert f'value="{outsider.pk}"' not in form


def test_take_button_is_hidden_when_the_agent_owns_the_case(agent_client, agent, case):
    services.assign_case(case=case, owner=agent, actor=agent)

    html = page(agent_client, case)

    assert 'data-testid="take-button"' not in html
    assert "You own this case" in html


def test_header_offers_resolve_on_open_cases_and_reopen_on_closed_ones(agent_client, agent, case):
    open_html = page(agent_client, case)
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)
    closed_html = page(agent_client, case)

    assert 'data-testid="resolve-button"' in open_html
    assert 'data-testid="reopen-button"' not in open_html
    assert 'data-testid="reopen-button"' in closed_html
    assert 'data-testid="take-button"' not in closed_html


def test_failed_delivery_says_why(agent_client, agent, case):
    from caseway.cases.models import Activity, DeliveryStatus
    from caseway.intake.services import send

    reply = send(case=case, agent=agent, text="Hello")
    services.record_delivery(
        activity_id=reply.pk, status=DeliveryStatus.FAILED, detail="mailbox full"
    )

    html = page(agent_client, case)

    assert Activity.objects.get(pk=reply.pk).delivery_status == "failed"
    assert "Not delivered: mailbox full" in html


def test_side_panel_lists_the_customers_other_cases_only(agent_client, case, receive, colleague):
    second = receive(email="carol@globex.test", subject="Another thing").case
    colleagues = receive(email="dave@globex.test", subject="Dave's own").case

    html = page(agent_client, case)

    panel = html[html.index('data-testid="other-cases"') :]
    panel = panel[: panel.index("</ul>")]
    assert second.number in panel
    assert colleagues.number not in panel
    assert case.number not in panel


def test_other_cases_are_only_those_the_agent_may_see(agent_client, agent, case, receive):
    hidden_queue = QueueFactory(name="Secret", slug="secret")
    hidden = receive(email="carol@globex.test", subject="Secret").case
    services.move_case(case=hidden, queue=hidden_queue, actor=agent)

    html = page(agent_client, case)

    assert hidden.number not in html


def test_audit_trail_is_a_collapsible_section_with_the_changes(agent_client, agent, case):
    services.change_priority(case=case, priority="urgent", actor=agent)

    html = page(agent_client, case)

    audit = html[html.index('<details id="case-audit"') :]
    assert "Audit trail" in audit
    assert "changed priority" in audit and "Normal → Urgent" in audit


def test_case_view_runs_a_constant_number_of_queries(
    agent_client, agent, case, receive, django_assert_num_queries
):
    # session, user, case, timeline, its attachments, queues, agents, other cases, audit,
    # SLA timers, routing decisions, sidebar queues, sidebar counts, unread notifications,
    # presence
    def load() -> None:
        agent_client.get(reverse("workspace:case", kwargs={"number": case.number}))

    with django_assert_num_queries(15):
        load()
    for i in range(5):
        receive(
            email="carol@globex.test",
            text=f"more {i}",
            case_reference=case.number,
            attachments=(AttachmentIn(f"f{i}.txt", "text/plain", b"x"),),
        )
        services.add_note(case=case, agent=agent, text=f"note {i}")
    with django_assert_num_queries(15):
        load()
