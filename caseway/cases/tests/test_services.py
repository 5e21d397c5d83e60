import pytest

from caseway.cases import services
from caseway.cases.events import ActivityAdded, CaseUpdated
from caseway.cases.exceptions import (
    AttachmentRejected,
    CaseClosed,
    EmptyMessage,
    NotAnAgent,
    TransitionNotAllowed,
)
from caseway.cases.models import ActivityKind, AuditEntry, CaseStatus, DeliveryStatus
from caseway.cases.tests.factories import CaseFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """Events published, captured at publish time (before commit)."""
    seen: list[object] = []
    monkeypatch.setattr("caseway.cases.services.publish", seen.append)
    return seen


@pytest.fixture
def case(customer):
    return CaseFactory(contact=customer, account=customer.account)


def test_reply_sets_first_response_and_activates_a_new_case(case, agent, published):
    activity = services.record_reply(case=case, agent=agent, text="On it!")
    case.refresh_from_db()
    assert activity.kind == ActivityKind.MESSAGE_OUT
    assert activity.is_public
    assert activity.delivery_status == DeliveryStatus.PENDING
    assert case.first_response_at == activity.created_at
    assert case.status == CaseStatus.ACTIVE
    assert AuditEntry.objects.get(case=case, field="status").after == CaseStatus.ACTIVE
    assert ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind="message_out") in published


def test_second_reply_keeps_the_first_response_time(case, agent):
    first = services.record_reply(case=case, agent=agent, text="one")
    services.record_reply(case=case, agent=agent, text="two")
    case.refresh_from_db()
    assert case.first_response_at == first.created_at


def test_reply_can_set_waiting_on_customer(case, agent):
    services.record_reply(case=case, agent=agent, text="Can you send a photo?", status="waiting")
    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING


def test_reply_needs_text(case, agent):
    with pytest.raises(EmptyMessage):
        services.record_reply(case=case, agent=agent, text="   ")


def test_customers_cannot_reply_as_agents(case, customer):
    with pytest.raises(NotAnAgent):
        services.record_reply(case=case, agent=customer.user, text="hi")


def test_note_is_private(case, agent):
    note = services.add_note(case=case, agent=agent, text="Customer is on the old firmware")
    assert note.kind == ActivityKind.NOTE
    assert not note.is_public


def test_status_follows_allowed_transitions_and_is_audited(case, agent, published):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.resolved_at is not None
    entry = AuditEntry.objects.get(case=case, field="status")
    assert (entry.before, entry.after, entry.actor) == ("new", "resolved", agent)
    assert CaseUpdated(case_id=case.pk, fields=("status",)) in published
    timeline = case.activities.get(kind=ActivityKind.STATUS_CHANGE)
    assert timeline.data == {"from": "new", "to": "resolved"}


def test_disallowed_transition_raises_and_changes_nothing(case, agent):
    services.change_status(case=case, status=CaseStatus.CANCELLED, actor=agent)
    with pytest.raises(TransitionNotAllowed):
        services.change_status(case=case, status=CaseStatus.WAITING, actor=agent)
    case.refresh_from_db()
    assert case.status == CaseStatus.CANCELLED


def test_reopening_clears_resolved_time(case, agent):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)
    services.change_status(case=case, status=CaseStatus.ACTIVE, actor=agent)
    case.refresh_from_db()
    assert case.resolved_at is None


def test_assign_and_unassign_are_audited(case, agent, admin_user):
    services.assign_case(case=case, owner=agent, actor=admin_user)
    case.refresh_from_db()
    assert case.owner == agent
    services.assign_case(case=case, owner=None, actor=agent)
    case.refresh_from_db()
    assert case.owner is None
    entries = list(
        AuditEntry.objects.filter(case=case, field="owner").values_list("after", flat=True)
    )
    assert entries == ["Ada Agent", ""]
    assert case.activities.filter(kind=ActivityKind.ASSIGNMENT).count() == 2


def test_cannot_assign_to_a_customer(case, agent, customer):
    with pytest.raises(NotAnAgent):
        services.assign_case(case=case, owner=customer.user, actor=agent)


def test_closed_cases_cannot_be_assigned(case, agent):
    services.change_status(case=case, status=CaseStatus.RESOLVED, actor=agent)
    with pytest.raises(CaseClosed):
        services.assign_case(case=case, owner=agent, actor=agent)


def test_priority_and_queue_changes_are_audited(case, agent):
    billing = QueueFactory(name="Billing", slug="billing")
    services.change_priority(case=case, priority="urgent", actor=agent)
    services.move_case(case=case, queue=billing, actor=agent)
    case.refresh_from_db()
    assert (case.priority, case.queue) == ("urgent", billing)
    fields = set(AuditEntry.objects.filter(case=case).values_list("field", flat=True))
    assert fields == {"priority", "queue"}


def test_attachments_are_stored_with_their_metadata(case, agent):
    note = services.add_note(
        case=case, agent=agent, text="log", attachments=[("boot.txt", "text/plain", b"ok")]
    )
    attachment = note.attachments.get()
    assert (attachment.filename, attachment.size, attachment.content_type) == (
        "boot.txt",
        2,
        "text/plain",
    )
    assert attachment.file.read() == b"ok"


def test_oversized_or_forbidden_attachments_are_refused(case, agent, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(AttachmentRejected):
        services.add_note(
            case=case, agent=agent, text="x", attachments=[("big.txt", "text/plain", b"x" * 11)]
        )
    with pytest.raises(AttachmentRejected):
        services.add_note(
            case=case,
            agent=agent,
            text="x",
            attachments=[("run.exe", "application/x-msdownload", b"MZ")],
        )


def test_case_number_round_trips(case):
    assert case.number == f"CW-{case.pk:05d}"
    for text in (case.number, case.number.lower(), f"#{case.pk}", str(case.pk)):
        assert type(case).pk_from_number(text) == case.pk
    assert type(case).pk_from_number("CW-abc") is None
    assert type(case).pk_from_number("") is None
