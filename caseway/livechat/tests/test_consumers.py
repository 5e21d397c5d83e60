"""The websockets end to end through the real ASGI application: the visitor's widget and the
agent's console, bot first, handoff, offer, accept, talk, reconnect, end."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from caseway.cases.models import Activity, ActivityKind, Case
from caseway.config.asgi import application
from caseway.livechat.models import ChatLine, ChatSession

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://127.0.0.1")]


async def lines_until(comm, predicate, limit=20):
    """Read messages until one matches; return every message read."""
    seen = []
    for _ in range(limit):
        message = await comm.receive_json_from(timeout=5)
        seen.append(message)
        if predicate(message):
            return seen
    raise AssertionError(f"nothing matched in {seen}")


async def frames_within(comm, seconds):
    """Every message that arrives within `seconds`."""
    frames = []
    while not await comm.receive_nothing(timeout=seconds):
        frames.append(await comm.receive_json_from())
    return frames


async def visitor(path="/ws/chat/", headers=ORIGIN):
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def agent_console(user):
    comm = WebsocketCommunicator(application, "/ws/agent/", headers=ORIGIN)
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return comm


async def test_a_foreign_origin_is_refused(settings):
    settings.CASEWAY_CHAT_ALLOWED_ORIGINS = ["https://shop.example"]
    comm = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await comm.connect()
    assert not connected
    comm = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"https://shop.example")]
    )
    connected, _ = await comm.connect()
    assert connected
    await comm.disconnect()
    # The agent's socket is for this site only, whatever the widget may use.
    comm = WebsocketCommunicator(
        application, "/ws/agent/", headers=[(b"origin", b"https://shop.example")]
    )
    connected, _ = await comm.connect()
    assert not connected


async def test_an_anonymous_user_gets_no_agent_socket():
    comm = WebsocketCommunicator(application, "/ws/agent/", headers=ORIGIN)
    connected, _ = await comm.connect()
    assert not connected


async def test_a_bad_prechat_form_is_answered_with_an_error():
    comm = await visitor()
    await comm.send_json_to({"type": "start", "name": "Vic", "email": "nope", "question": "hi"})
    message = await comm.receive_json_from(timeout=5)
    assert message["type"] == "error"
    assert "email" in message["message"]
    await comm.disconnect()


async def test_the_whole_chat_from_bot_to_agent_and_back(chat_agent, router_article):
    comm = await visitor()
    await comm.send_json_to(
        {
            "type": "start",
            "name": "Vic Visitor",
            "email": "vic@example.test",
            "question": "How do I reset my router?",
        }
    )
    seen = await lines_until(comm, lambda m: m["type"] == "line" and m["role"] == "bot")
    state = next(m for m in seen if m["type"] == "state")
    assert state["state"] == "bot"
    token = state["token"]
    bot = seen[-1]
    assert "reset button" in bot["text"]
    assert bot["url"]

    # Talk to a person: a chat case with the bot transcript, offered to the chat agent.
    await comm.send_json_to({"type": "person"})
    seen = await lines_until(comm, lambda m: m["type"] == "state" and m["state"] == "waiting")
    case = await sync_to_async(Case.objects.get)()
    assert case.origin_channel == "chat"
    assert case.owner_id == chat_agent.pk
    first = await sync_to_async(lambda: case.activities.get(kind=ActivityKind.MESSAGE_IN))()
    assert "Customer: How do I reset my router?" in first.text
    assert "Bot: " in first.text

    console = await agent_console(chat_agent)
    seen = await lines_until(console, lambda m: m["type"] == "chat")
    assert seen[-1]["is_offer"] is True
    assert seen[-1]["case"] == case.number
    session_id = seen[-1]["session"]
    await lines_until(console, lambda m: m["type"] == "line" and m["role"] == "bot")

    await console.send_json_to({"type": "accept", "session": session_id})
    await lines_until(comm, lambda m: m["type"] == "line" and "joined the chat" in m["text"])

    # The agent says something: through intake.send and the chat adapter to the visitor.
    await console.send_json_to(
        {"type": "message", "session": session_id, "client_id": "a1", "text": "Hello Vic!"}
    )
    seen = await lines_until(comm, lambda m: m["type"] == "line" and m["role"] == "agent")
    assert seen[-1]["text"] == "Hello Vic!"
    reply = await sync_to_async(lambda: case.activities.get(kind=ActivityKind.MESSAGE_OUT))()
    assert reply.channel == "chat"
    assert reply.delivery_status == "delivered"

    # The visitor answers, and sends the same line again (a reconnect): stored once.
    for _ in range(2):
        await comm.send_json_to({"type": "message", "client_id": "v1", "text": "It worked, thanks"})
        await lines_until(comm, lambda m: m["type"] == "ack" and m["client_id"] == "v1")
    count = await sync_to_async(
        lambda: Activity.objects.filter(case=case, kind=ActivityKind.MESSAGE_IN).count()
    )()
    assert count == 2
    assert await sync_to_async(ChatLine.objects.filter(client_id="v1").count)() == 1
    seen = await lines_until(console, lambda m: m["type"] == "line" and m["client_id"] == "v1")

    # Typing and read receipts travel to the other side.
    await comm.send_json_to({"type": "typing", "is_typing": True})
    await lines_until(console, lambda m: m["type"] == "typing" and m["is_typing"])
    await console.send_json_to({"type": "read", "session": session_id, "id": seen[-1]["id"]})
    await lines_until(comm, lambda m: m["type"] == "read")
    await comm.disconnect()

    # A new connection resumes from its cursor and gets only what it missed.
    cursor = seen[-1]["id"]
    await console.send_json_to(
        {"type": "message", "session": session_id, "client_id": "a2", "text": "Anything else?"}
    )
    await lines_until(console, lambda m: m["type"] == "ack" and m["client_id"] == "a2")
    again = await visitor()
    await again.send_json_to({"type": "resume", "token": token, "cursor": cursor})
    seen = await lines_until(again, lambda m: m["type"] == "line")
    assert [m["text"] for m in seen if m["type"] == "line"] == ["Anything else?"]

    await console.send_json_to({"type": "end", "session": session_id})
    await lines_until(again, lambda m: m["type"] == "state" and m["state"] == "ended")
    assert await sync_to_async(lambda: ChatSession.objects.get().state)() == "ended"
    assert await sync_to_async(
        lambda: case.activities.filter(kind=ActivityKind.NOTE, text__contains="Live chat").exists()
    )()
    await again.disconnect()
    await console.disconnect()


async def test_with_nobody_available_the_visitor_leaves_a_message(chat_queue):
    comm = await visitor()
    await comm.send_json_to(
        {"type": "start", "name": "Nora", "email": "nora@example.test", "question": "Qwxzzy?"}
    )
    await lines_until(comm, lambda m: m["type"] == "line" and m["role"] == "bot")
    await comm.send_json_to({"type": "person"})
    await lines_until(comm, lambda m: m["type"] == "state" and m["state"] == "message")
    await comm.send_json_to({"type": "message", "client_id": "m1", "text": "Please call me back"})
    await lines_until(comm, lambda m: m["type"] == "ack")
    case = await sync_to_async(Case.objects.get)()
    assert case.owner_id is None
    texts = await sync_to_async(
        lambda: list(
            case.activities.filter(kind=ActivityKind.MESSAGE_IN).values_list("text", flat=True)
        )
    )()
    assert texts[-1] == "Please call me back"
    await comm.disconnect()


async def test_a_line_goes_back_to_every_connection_but_the_one_that_said_it(chat_agent):
    """The sayer has its ack, which carries the line's id; another tab of the visitor and the
    agent's console get the line. Likewise the agent's own line and their console."""
    comm = await visitor()
    await comm.send_json_to(
        {"type": "start", "name": "Vic", "email": "vic@example.test", "question": "Qwxzzy?"}
    )
    seen = await lines_until(comm, lambda m: m["type"] == "line" and m["role"] == "bot")
    token = next(m for m in seen if m["type"] == "state")["token"]
    await comm.send_json_to({"type": "person"})
    await lines_until(comm, lambda m: m["type"] == "state" and m["state"] == "waiting")
    console = await agent_console(chat_agent)
    session_id = (await lines_until(console, lambda m: m["type"] == "chat"))[-1]["session"]
    await console.send_json_to({"type": "accept", "session": session_id})
    joined = await lines_until(
        comm, lambda m: m["type"] == "line" and "joined the chat" in m["text"]
    )
    other_tab = await visitor()
    await other_tab.send_json_to({"type": "resume", "token": token, "cursor": joined[-1]["id"]})
    await lines_until(other_tab, lambda m: m["type"] == "state")

    await comm.send_json_to({"type": "message", "client_id": "v7", "text": "Still broken"})
    ack = (await lines_until(comm, lambda m: m["type"] == "ack"))[-1]
    line = await sync_to_async(ChatLine.objects.get)(client_id="v7")
    assert ack == {"type": "ack", "client_id": "v7", "id": line.pk}
    for listener in (other_tab, console):
        seen = await lines_until(listener, lambda m: m.get("client_id") == "v7", limit=40)
        assert (seen[-1]["type"], seen[-1]["id"]) == ("line", line.pk)

    await console.send_json_to(
        {"type": "message", "session": session_id, "client_id": "a7", "text": "On it."}
    )
    ack = (await lines_until(console, lambda m: m["type"] == "ack"))[-1]
    assert ack["id"] == (await sync_to_async(ChatLine.objects.get)(client_id="a7")).pk
    for listener in (comm, other_tab):
        seen = await lines_until(listener, lambda m: m["type"] == "line")
        assert seen[-1]["client_id"] == "a7"  # not the visitor's own v7 before it
    # Neither sayer hears its own line.
    for sayer in (comm, console):
        assert not [m for m in await frames_within(sayer, 0.5) if m["type"] == "line"]

    # A reconnect gets the whole transcript again, its own lines among them.
    await comm.disconnect()
    again = await visitor()
    await again.send_json_to({"type": "resume", "token": token, "cursor": 0})
    seen = await lines_until(again, lambda m: m.get("client_id") == "a7")
    assert "v7" in [m.get("client_id") for m in seen]
    for c in (again, other_tab, console):
        await c.disconnect()
