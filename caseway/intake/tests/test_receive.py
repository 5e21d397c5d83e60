import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caseway.cases.models import Activity, Case, CaseStatus
from caseway.cases.services import change_status
from caseway.connectors.messages import AttachmentIn, Sender
from caseway.customers.models import Contact, Identity
from caseway.intake.events import MessageReceived
from caseway.intake.exceptions import MessageRejected
from caseway.intake.models import InboundRecord, InboundStatus
from caseway.intake.services import produced_activity, receive

pytestmark = pytest.mark.django_db


def statements(queries):
    """SQL statements excluding transaction control."""
    return [
        q["sql"]
        for q in queries
        if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]


def test_new_sender_gets_a_contact_and_a_case_in_the_default_queue(make_message, default_queue):
    result = receive(make_message(email="Newbie@Example.com", subject="Printer on fire"))
    assert result.is_new_case and not result.is_replay
    case = result.case
    assert case.subject == "Printer on fire"
    assert case.queue == default_queue
    assert case.status == CaseStatus.NEW
    assert case.origin_channel == "email"
    assert case.contact.email == "newbie@example.com"
    assert Identity.objects.get(address="newbie@example.com").contact == case.contact
    assert list(case.activities.values_list("kind", flat=True)) == ["message_in"]


def test_raw_message_is_stored_with_its_outcome(make_message):
    msg = make_message(text="hello")
    result = receive(msg)
    record = InboundRecord.objects.get(channel="email", provider_id=msg.provider_id)
    assert record.status == InboundStatus.PROCESSED
    assert produced_activity(record) == result.activity
    assert record.payload["text"] == "hello"
    assert record.payload["sender"]["address"] == "carol@globex.test"


def test_replay_changes_nothing(make_message, customer):
    msg = make_message()
    first = receive(msg)
    again = receive(msg)
    assert again.is_replay
    assert again.case.pk == first.case.pk
    assert again.activity.pk == first.activity.pk
    assert Case.objects.count() == 1
    assert Activity.objects.count() == 1
    assert InboundRecord.objects.count() == 1


def test_same_provider_id_on_another_channel_is_another_message(make_message, customer):
    receive(make_message(provider_id="42"))
    receive(make_message(provider_id="42", channel="sms"))
    assert InboundRecord.objects.count() == 2


def test_case_reference_threads_onto_the_case(make_message, customer):
    first = receive(make_message())
    reply = receive(make_message(subject="Re: that", case_reference=first.case.number))
    assert reply.case.pk == first.case.pk
    assert not reply.is_new_case
    assert first.case.activities.count() == 2


def test_reply_to_our_message_threads_by_provider_id(make_message, customer, agent):
    first = receive(make_message())
    Activity.objects.filter(pk=first.activity.pk).update(provider_id="<ours@caseway>")
    reply = receive(make_message(in_reply_to=("<unknown@x>", "<ours@caseway>")))
    assert reply.case.pk == first.case.pk


def test_conversational_channel_continues_the_open_case(make_message):
    sender = Sender(kind="phone", address="+1 555 0100")
    first = receive(make_message(channel="sms", sender=sender, continues_conversation=True))
    second = receive(make_message(channel="sms", sender=sender, continues_conversation=True))
    assert second.case.pk == first.case.pk


def test_email_without_reference_opens_a_new_case(make_message, customer):
    first = receive(make_message())
    second = receive(make_message())
    assert second.case.pk != first.case.pk


def test_quoting_someone_elses_case_number_opens_a_new_case(make_message, customer, stranger):
    carols = receive(make_message(email="carol@globex.test"))
    sams = receive(make_message(email="sam@elsewhere.test", case_reference=carols.case.number))
    assert sams.case.pk != carols.case.pk
    assert carols.case.activities.count() == 1


def test_colleague_of_the_same_account_may_add_to_the_case(make_message, customer, colleague):
    carols = receive(make_message(email="carol@globex.test"))
    daves = receive(make_message(email="dave@globex.test", case_reference=carols.case.number))
    assert daves.case.pk == carols.case.pk
    assert daves.activity.author_contact == colleague


def test_customer_reply_moves_a_waiting_case_back_to_active(make_message, customer, agent):
    first = receive(make_message())
    change_status(case=first.case, status=CaseStatus.WAITING, actor=agent)
    receive(make_message(case_reference=first.case.number))
    first.case.refresh_from_db()
    assert first.case.status == CaseStatus.ACTIVE


def test_reply_to_a_resolved_case_reopens_it(make_message, customer, agent):
    first = receive(make_message())
    change_status(case=first.case, status=CaseStatus.RESOLVED, actor=agent)
    again = receive(make_message(case_reference=first.case.number))
    again.case.refresh_from_db()
    assert again.case.pk == first.case.pk
    assert again.case.status == CaseStatus.ACTIVE
    assert again.case.resolved_at is None


def test_reply_to_a_cancelled_case_opens_a_new_one(make_message, customer, agent):
    first = receive(make_message())
    change_status(case=first.case, status=CaseStatus.CANCELLED, actor=agent)
    again = receive(make_message(case_reference=first.case.number))
    assert again.case.pk != first.case.pk


def test_html_is_sanitised(make_message, customer):
    result = receive(make_message(html='<p>Hi</p><script>alert("x")</script>'))
    assert result.activity.html == "<p>Hi</p>"


def test_attachments_are_kept(make_message, customer):
    result = receive(
        make_message(attachments=(AttachmentIn("photo.png", "image/png", b"\x89PNG...."),))
    )
    attachment = result.activity.attachments.get()
    assert attachment.case == result.case
    assert attachment.size == 8


def test_rejected_message_is_kept_as_failed_and_leaves_nothing_half_written(make_message, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 4
    msg = make_message(
        email="someone@new.test",
        attachments=(AttachmentIn("big.pdf", "application/pdf", b"12345"),),
    )
    with pytest.raises(MessageRejected, match="limit"):
        receive(msg)
    record = InboundRecord.objects.get(provider_id=msg.provider_id)
    assert record.status == InboundStatus.FAILED
    assert "limit" in record.error
    assert record.payload["attachments"] == [
        {"filename": "big.pdf", "content_type": "application/pdf", "size": 5}
    ]
    assert not Case.objects.exists()
    assert not Contact.objects.filter(email="someone@new.test").exists()


def test_failed_message_can_be_received_again(make_message, settings):
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 4
    msg = make_message(attachments=(AttachmentIn("a.pdf", "application/pdf", b"12345"),))
    with pytest.raises(MessageRejected):
        receive(msg)
    with pytest.raises(MessageRejected):
        receive(msg)
    assert InboundRecord.objects.get(provider_id=msg.provider_id).attempts == 2
    settings.CASEWAY_ATTACHMENT_MAX_BYTES = 1000
    result = receive(msg)
    assert not result.is_replay
    record = InboundRecord.objects.get(provider_id=msg.provider_id)
    assert record.status == InboundStatus.PROCESSED
    assert produced_activity(record) == result.activity


def test_empty_message_is_rejected(make_message):
    with pytest.raises(MessageRejected):
        receive(make_message(text="  ", html=""))


def test_overlong_message_is_rejected(make_message, settings):
    settings.CASEWAY_MESSAGE_MAX_CHARS = 10
    with pytest.raises(MessageRejected, match="longer"):
        receive(make_message(text="x" * 11))


def test_missing_provider_id_is_rejected(make_message):
    with pytest.raises(MessageRejected):
        receive(make_message(provider_id=""))


@pytest.mark.django_db(transaction=True)
def test_message_received_is_published_after_commit(make_message, monkeypatch):
    from caseway.core import events

    seen = []
    events.subscribe(MessageReceived, seen.append)
    try:
        result = receive(make_message(email="x@y.test"))
    finally:
        events.unsubscribe(MessageReceived, seen.append)
    assert seen == [
        MessageReceived(
            case_id=result.case.pk,
            activity_id=result.activity.pk,
            is_new_case=True,
            channel="email",
        )
    ]


def test_query_budget_new_sender_new_case(make_message, default_queue):
    receive(make_message(email="warm@new.test"))  # the SLA policy is compiled once per process
    with CaptureQueriesContext(connection) as ctx:
        receive(make_message(email="budget@new.test"))
    # A first message from an unknown address also creates its contact and identity.
    assert len(statements(ctx.captured_queries)) <= 10


def test_query_budget_known_sender_new_case(make_message, customer):
    receive(make_message(subject="warm up"))
    with CaptureQueriesContext(connection) as ctx:
        receive(make_message(subject="A new question"))
    assert len(statements(ctx.captured_queries)) <= 8


def test_query_budget_customer_answers_an_agent(make_message, customer, agent):
    from caseway.cases.services import record_reply

    first = receive(make_message())
    record_reply(case=first.case, agent=agent, text="Which model do you have?")
    with CaptureQueriesContext(connection) as ctx:
        receive(make_message(case_reference=first.case.number))
    assert len(statements(ctx.captured_queries)) <= 8


def test_query_budget_reply_to_open_case(make_message, customer):
    first = receive(make_message())
    with CaptureQueriesContext(connection) as ctx:
        receive(make_message(case_reference=first.case.number))
    assert len(statements(ctx.captured_queries)) <= 8


def test_on_postgresql_the_writes_of_a_message_travel_together(make_message, customer):
    """sql.together(): the raw message rides with the sender's lookup, the SLA timers and the
    routing decision with the timeline entry, a case's update with the reply's entry."""
    receive(make_message(subject="warm up"))
    with CaptureQueriesContext(connection) as ctx:
        first = receive(make_message(subject="A new question"))
    new_case = len(statements(ctx.captured_queries))
    with CaptureQueriesContext(connection) as ctx:
        receive(make_message(case_reference=first.case.number))
    reply = len(statements(ctx.captured_queries))
    assert (new_case, reply) == ((5, 3) if connection.vendor == "postgresql" else (8, 5))
    case = Case.objects.get(pk=first.case.pk)
    assert case.activities.filter(kind="message_in").count() == 2
    assert case.sla_instances.exists()


def test_overlong_provider_id_is_digested_and_still_deduplicated(make_message, customer):
    msg = make_message(provider_id="<" + "x" * 400 + "@mail.test>")
    first = receive(msg)
    again = receive(msg)
    assert again.is_replay and again.case.pk == first.case.pk
    record = InboundRecord.objects.get()
    assert record.provider_id.startswith("sha256:")
    assert len(record.provider_id) <= 300
