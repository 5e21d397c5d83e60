"""Lines of many chats in one transaction (livechat.batch) and the writer that gathers them
(livechat.writer): every guard of the single path, one timeline task per batch, cues that
carry the lines, and connections that read instead when a cue does not follow their cursor."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from caseway.cases.models import ActivityKind
from caseway.customers.tests.factories import UserFactory
from caseway.livechat import agent as agent_services
from caseway.livechat import services, tasks, writer
from caseway.livechat.batch import LineIn, Stored, store_lines
from caseway.livechat.exceptions import ChatEnded, NotYourChat
from caseway.livechat.models import ChatLine, LineRole
from caseway.livechat.tests.test_consumers import agent_console, lines_until, visitor

VISITOR, AGENT = LineRole.VISITOR, LineRole.AGENT


def talking(agent, name, capture):
    """A chat handed off to `agent` and accepted."""
    with capture(execute=True):
        session = services.start_session(name=name, email=f"{name}@example.test", question="Hi?")
    with capture(execute=True):
        session = services.request_person(session=session)
    with capture(execute=True):
        agent_services.accept_chat(session=session, agent=agent)
    return session


@pytest.mark.django_db
def test_one_batch_stores_the_lines_of_several_chats_with_every_guard(
    chat_agent, django_capture_on_commit_callbacks
):
    one = talking(chat_agent, "vic", django_capture_on_commit_callbacks)
    two = talking(chat_agent, "val", django_capture_on_commit_callbacks)
    before = {s.pk: s.lines.order_by("pk").last().pk for s in (one, two)}
    said_before = services.post_visitor_line(session=one, text="Earlier", client_id="v0")
    intruder = UserFactory(username="ivan", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        batch = store_lines(
            [
                LineIn(one.pk, VISITOR, "First", "v1"),
                LineIn(two.pk, VISITOR, "Hello", "w1"),
                LineIn(one.pk, AGENT, "Answer", "a1", chat_agent.pk, "Cleo"),
                LineIn(one.pk, VISITOR, "Earlier", "v0"),  # sent again: the stored line
                LineIn(one.pk, VISITOR, "First", "v1"),  # twice in one batch: stored once
                LineIn(two.pk, AGENT, "Mine now", "x1", intruder.pk, "Ivan"),
            ]
        )
    first, hello, answer, again, twice, refused = batch.results
    assert all(isinstance(r, Stored) for r in (first, hello, answer, again, twice))
    assert again == Stored(said_before.pk, new=False)
    assert twice == Stored(first.line_id, new=False)
    assert isinstance(refused, NotYourChat)
    assert ChatLine.objects.filter(session=one, client_id="v1").count() == 1
    assert not ChatLine.objects.filter(client_id="x1").exists()

    # One cue per session, with the lines and the line before them.
    cues = dict(batch.cues)
    cue = cues[one.group]
    assert cue["type"] == "chat.lines"
    assert cue["after"] == said_before.pk
    assert [(x["text"], x["author"]) for x in cue["lines"]] == [("First", ""), ("Answer", "Cleo")]
    assert cues[two.group]["after"] == before[two.pk]

    # One task put all three on their cases' timelines, through intake.
    for line_id in (first.line_id, hello.line_id, answer.line_id):
        line = ChatLine.objects.select_related("activity").get(pk=line_id)
        assert line.activity is not None
    kinds = one.case.activities.values_list("kind", flat=True)
    assert list(kinds).count(ActivityKind.MESSAGE_OUT) == 1


@pytest.mark.django_db
def test_an_ended_chat_or_one_still_with_the_bot_is_not_written_by_the_batch(
    chat_agent, django_capture_on_commit_callbacks
):
    ended = talking(chat_agent, "vic", django_capture_on_commit_callbacks)
    services.end_session(session=ended, by="You")
    with django_capture_on_commit_callbacks(execute=True):
        with_bot = services.start_session(name="Bo", email="bo@example.test", question="Hi?")
    batch = store_lines(
        [
            LineIn(ended.pk, VISITOR, "Hello?", "late"),
            LineIn(ended.pk, AGENT, "Bye", "a9", chat_agent.pk, "Cleo"),
            LineIn(with_bot.pk, VISITOR, "Router?", "b1"),  # the bot answers: single path
            LineIn(999_999, AGENT, "Who?", "a0", chat_agent.pk, "Cleo"),
        ]
    )
    late, bye, bot, missing = batch.results
    assert isinstance(late, ChatEnded)
    assert isinstance(bye, ChatEnded)
    assert bot is None
    assert isinstance(missing, NotYourChat)
    assert batch.cues == []
    assert not ChatLine.objects.filter(client_id__in=["late", "a9", "b1", "a0"]).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_lines_posted_together_travel_in_one_batch(
    chat_agent, django_capture_on_commit_callbacks, monkeypatch
):
    sessions = [
        await sync_to_async(talking)(chat_agent, f"v{i}", django_capture_on_commit_callbacks)
        for i in range(3)
    ]
    calls = []

    def counted(lines):
        calls.append(len(lines))
        return store_lines(lines)

    monkeypatch.setattr(writer, "store_lines", counted)
    line_writer = writer.LineWriter()
    results = await asyncio.gather(
        *(
            line_writer.post(LineIn(s.pk, VISITOR, f"line {n}", f"c{n}"))
            for s in sessions
            for n in range(6)
        )
    )
    assert calls == [18]
    assert all(isinstance(r, Stored) and r.new for r in results)
    recorded = await sync_to_async(
        ChatLine.objects.filter(client_id__startswith="c", activity__isnull=False).count
    )()
    assert recorded == 18


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_a_console_behind_the_cue_reads_what_it_missed_and_nothing_twice(
    chat_agent, django_capture_on_commit_callbacks
):
    session = await sync_to_async(talking)(chat_agent, "vic", django_capture_on_commit_callbacks)
    console = await agent_console(chat_agent)
    seen = await lines_until(console, lambda m: m["type"] == "line" and "joined" in m["text"])
    cursor = seen[-1]["id"]

    # The visitor's line reaches the console from the cue itself.
    comm = await visitor()
    await comm.send_json_to({"type": "resume", "token": session.token, "cursor": cursor})
    await lines_until(comm, lambda m: m["type"] == "state")
    await comm.send_json_to({"type": "message", "client_id": "v1", "text": "From the cue"})
    seen = await lines_until(console, lambda m: m["type"] == "line")
    assert seen[-1]["text"] == "From the cue"

    # A line the console was never cued for, then a cue that does not follow its cursor:
    # it reads from the database, in order, and skips what the cue says it already has.
    missed = await sync_to_async(ChatLine.objects.create)(
        session=session, role=VISITOR, text="Never cued", client_id="v2"
    )
    layer = get_channel_layer()
    await layer.group_send(
        session.group,
        {"type": "chat.lines", "session": session.pk, "after": missed.pk,
         "lines": [{"type": "line", "id": missed.pk + 1000, "text": "Not in the database"}]},
    )  # fmt: skip
    seen = await lines_until(console, lambda m: m["type"] == "line")
    assert seen[-1]["text"] == "Never cued"
    await layer.group_send(
        session.group,
        {"type": "chat.lines", "session": session.pk, "after": 0,
         "lines": [{"type": "line", "id": missed.pk, "text": "Never cued"}]},
    )  # fmt: skip
    await comm.send_json_to({"type": "message", "client_id": "v3", "text": "Next"})
    seen = await lines_until(console, lambda m: m["type"] == "line")
    assert seen[-1]["text"] == "Next"
    await comm.disconnect()
    await console.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_an_agent_who_does_not_hold_the_chat_is_told_and_it_leaves_the_console(
    chat_agent, django_capture_on_commit_callbacks
):
    session = await sync_to_async(talking)(chat_agent, "vic", django_capture_on_commit_callbacks)
    other = await sync_to_async(UserFactory)(username="otto", is_staff=True)
    console = await agent_console(other)
    await console.send_json_to(
        {"type": "message", "session": session.pk, "client_id": "o1", "text": "Hi"}
    )
    seen = await lines_until(console, lambda m: m["type"] == "removed")
    assert any(m["type"] == "error" and "not yours" in m["message"] for m in seen)
    assert not await sync_to_async(ChatLine.objects.filter(client_id="o1").exists)()
    await console.disconnect()


@pytest.mark.django_db
def test_a_batch_goes_on_its_cases_in_one_go_and_a_failing_line_keeps_no_other_off(
    chat_agent, django_capture_on_commit_callbacks, monkeypatch, settings
):
    one = talking(chat_agent, "vic", django_capture_on_commit_callbacks)
    two = talking(chat_agent, "val", django_capture_on_commit_callbacks)
    # The batches' tasks wait (a backend that keeps them); the test runs them itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    batch = store_lines(
        [
            LineIn(one.pk, VISITOR, "First", "v1"),
            LineIn(two.pk, VISITOR, "Hello", "w1"),
            LineIn(one.pk, AGENT, "Answer", "a1", chat_agent.pk, "Cleo"),
        ]
    )
    first, hello, answer = (r.line_id for r in batch.results)
    assert tasks.record_lines_on_case.call([first, hello, answer]) == {"recorded": 3}
    assert tasks.record_lines_on_case.call([answer, first]) == {"recorded before": 2}
    reply = ChatLine.objects.get(pk=answer).activity
    assert (reply.delivery_status, reply.data["delivery_detail"]) == (
        "delivered",
        "shown in the live chat",
    )

    # An agent line that cannot go on its case: the visitor lines of the batch still do.
    later = store_lines(
        [
            LineIn(one.pk, VISITOR, "Second", "v2"),
            LineIn(one.pk, AGENT, "Broken", "a2", chat_agent.pk, "Cleo"),
            LineIn(two.pk, VISITOR, "Again", "w2"),
        ]
    )
    second, broken, again = (r.line_id for r in later.results)

    def send(**kwargs):
        raise RuntimeError("the database said no")

    monkeypatch.setattr(tasks, "send", send)
    with pytest.raises(RuntimeError, match="said no"):
        tasks.record_lines_on_case.call([second, broken, again])
    on_case = dict(
        ChatLine.objects.filter(pk__in=[second, broken, again]).values_list("pk", "activity")
    )
    assert on_case[second] is not None and on_case[again] is not None
    assert on_case[broken] is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_a_console_shows_its_chats_while_its_own_lines_wait_for_the_writer(
    chat_agent, django_capture_on_commit_callbacks, monkeypatch
):
    session = await sync_to_async(talking)(chat_agent, "vic", django_capture_on_commit_callbacks)
    console = await agent_console(chat_agent)
    await lines_until(console, lambda m: m["type"] == "line" and "joined" in m["text"])
    comm = await visitor()
    await comm.send_json_to({"type": "resume", "token": session.token, "cursor": 0})
    await lines_until(comm, lambda m: m["type"] == "state")

    # The agent's lines wait at the writer's door until the gate opens.
    gate = asyncio.Event()
    post = writer.LineWriter.post

    async def held(self, line):
        if line.role == AGENT:
            await gate.wait()
        return await post(self, line)

    monkeypatch.setattr(writer.LineWriter, "post", held)
    for n in range(3):
        await console.send_json_to(
            {"type": "message", "session": session.pk, "client_id": f"a{n}", "text": f"A{n}"}
        )
    await comm.send_json_to({"type": "message", "client_id": "v1", "text": "Still there?"})
    seen = await lines_until(console, lambda m: m["type"] == "line" and m["client_id"] == "v1")
    assert not [m for m in seen if m["type"] == "ack"]

    # Then every one of them is stored and acknowledged, in the order the agent sent them.
    gate.set()
    seen = await lines_until(console, lambda m: m["type"] == "ack" and m["client_id"] == "a2")
    assert [m["client_id"] for m in seen if m["type"] == "ack"] == ["a0", "a1", "a2"]
    stored = await sync_to_async(
        lambda: list(
            ChatLine.objects.filter(role=AGENT).order_by("pk").values_list("text", flat=True)
        )
    )()
    assert stored == ["A0", "A1", "A2"]
    await comm.disconnect()
    await console.disconnect()
