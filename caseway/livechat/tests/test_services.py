"""Live chat's services: every guard, idempotency, and what lands on the case."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from caseway.cases.models import ActivityKind, Attachment
from caseway.customers.tests.factories import UserFactory
from caseway.livechat import agent as agent_services
from caseway.livechat import services
from caseway.livechat.exceptions import BadPrechat, ChatEnded, LineRefused, NotYourChat
from caseway.livechat.models import ChatLine, ChatState, LineRole
from caseway.livechat.tasks import record_line_on_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(chat_agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = services.start_session(name="Vic", email="vic@example.test", question="Hello?")
    return session


def handed_off(session, capture):
    with capture(execute=True):
        return services.request_person(session=session)


@pytest.mark.parametrize(
    ("name", "email", "question", "word"),
    [
        ("", "a@b.test", "q", "name"),
        ("V", "nope", "q", "email"),
        ("V", "a@b.test", " ", "question"),
    ],
)
def test_the_prechat_form_needs_name_email_and_question(name, email, question, word):
    with pytest.raises(BadPrechat, match=word):
        services.start_session(name=name, email=email, question=question)


def test_the_bot_answers_before_the_handoff_and_nothing_is_a_case_yet(chat):
    roles = list(chat.lines.order_by("pk").values_list("role", flat=True))
    assert roles == [LineRole.VISITOR, LineRole.BOT]
    assert chat.case is None


def test_a_line_sent_twice_is_stored_once(chat, django_capture_on_commit_callbacks):
    session = handed_off(chat, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.post_visitor_line(session=session, text="Hi", client_id="c1")
        again = services.post_visitor_line(session=session, text="Hi", client_id="c1")
    assert first.pk == again.pk
    assert session.case.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 2


def test_a_line_is_stored_first_and_goes_on_the_case_once_whatever_the_retries(
    chat, chat_agent, django_capture_on_commit_callbacks
):
    session = handed_off(chat, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.accept_chat(session=session, agent=chat_agent)
    # What the background task finds: a stored line of either side without its activity.
    said = services._store_line(
        session=session, role=LineRole.VISITOR, text="Still there?", client_id="v1"
    )
    answer = services._store_line(
        session=session, role=LineRole.AGENT, author=chat_agent, text="Yes", client_id="a1"
    )
    assert (said.activity_id, answer.activity_id) == (None, None)
    for line in (said, answer):
        assert record_line_on_case.call(line.pk) == "recorded"
        assert record_line_on_case.call(line.pk) == "recorded before"
        line.refresh_from_db()
    assert said.activity.kind == ActivityKind.MESSAGE_IN
    assert said.activity.text == "Still there?"
    assert answer.activity.kind == ActivityKind.MESSAGE_OUT
    kinds = list(session.case.activities.values_list("kind", flat=True))
    assert kinds.count(ActivityKind.MESSAGE_OUT) == 1
    assert kinds.count(ActivityKind.MESSAGE_IN) == 2  # the handoff's and this line


def test_an_empty_or_too_long_line_is_refused(chat):
    with pytest.raises(LineRefused):
        services.post_visitor_line(session=chat, text="  ", client_id="e")
    with pytest.raises(LineRefused):
        services.post_visitor_line(session=chat, text="x" * (services.LINE_MAX + 1), client_id="l")


def test_nothing_is_said_in_an_ended_chat(chat):
    services.end_session(session=chat, by="You")
    with pytest.raises(ChatEnded):
        services.post_visitor_line(session=chat, text="Hello?", client_id="late")
    assert services.end_session(session=chat, by="You").state == ChatState.ENDED
    assert chat.lines.filter(role=LineRole.SYSTEM).count() == 1


def test_files_wait_for_the_handoff_and_keep_to_the_limits(
    chat, settings, django_capture_on_commit_callbacks
):
    with pytest.raises(LineRefused):
        services.send_file(
            session=chat, filename="a.txt", content_type="text/plain", content=b"x", client_id="f"
        )
    session = handed_off(chat, django_capture_on_commit_callbacks)
    with pytest.raises(LineRefused, match="not accepted"):
        services.send_file(
            session=session, filename="a.exe", content_type="application/x-msdownload",
            content=b"MZ", client_id="f1",
        )  # fmt: skip
    line = services.send_file(
        session=session,
        filename="log.txt",
        content_type="text/plain",
        content=b"hi",
        client_id="f2",
    )
    assert line.attachment.filename == "log.txt"
    assert Attachment.objects.filter(case=session.case).count() == 1


def test_only_the_offered_agent_may_accept_and_talk(
    chat, chat_agent, django_capture_on_commit_callbacks
):
    session = handed_off(chat, django_capture_on_commit_callbacks)
    intruder = UserFactory(username="ivan", is_staff=True)
    with pytest.raises(NotYourChat):
        agent_services.accept_chat(session=session, agent=intruder)
    with pytest.raises(NotYourChat):
        agent_services.post_agent_line(session=session, agent=chat_agent, text="hi", client_id="a")
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.accept_chat(session=session, agent=chat_agent)
        line = agent_services.post_agent_line(
            session=session, agent=chat_agent, text="Hello", client_id="a"
        )
    line.refresh_from_db()
    assert line.activity.kind == ActivityKind.MESSAGE_OUT
    assert line.activity.channel == "chat"
    line.activity.refresh_from_db()
    assert line.activity.delivery_status == "delivered"
    # Delivered by the line itself: the chat adapter's push never ran.
    assert line.activity.data["delivery_detail"] == "shown in the live chat"


def test_a_transfer_to_an_agent_gives_them_the_case(
    chat, chat_agent, chat_queue, django_capture_on_commit_callbacks
):
    session = handed_off(chat, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.accept_chat(session=session, agent=chat_agent)
    other = UserFactory(username="otto", is_staff=True)
    chat_queue.members.add(other)
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.transfer_chat(session=session, agent=chat_agent, to_agent=other)
    session.refresh_from_db()
    assert session.case.owner_id == other.pk
    assert session.state == ChatState.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.accept_chat(session=session, agent=other)
    assert ChatLine.objects.filter(session=session, text__contains="joined").count() == 2


def test_the_upload_endpoint_checks_the_origin_and_the_token(
    client, chat, settings, django_capture_on_commit_callbacks
):
    settings.CASEWAY_CHAT_ALLOWED_ORIGINS = ["https://shop.example"]
    session = handed_off(chat, django_capture_on_commit_callbacks)
    upload = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
    foreign = client.post(
        "/chat/upload/",
        {"token": session.token, "file": upload},
        HTTP_ORIGIN="https://evil.example",
    )
    assert foreign.status_code == 403
    unknown = client.post(
        "/chat/upload/", {"token": "nope", "file": upload}, HTTP_ORIGIN="https://shop.example"
    )
    assert unknown.status_code == 404
    upload.seek(0)
    ok = client.post(
        "/chat/upload/",
        {"token": session.token, "client_id": "u1", "file": upload},
        HTTP_ORIGIN="https://shop.example",
    )
    assert ok.status_code == 200
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example"
    assert Attachment.objects.filter(case=session.case, filename="a.txt").exists()
