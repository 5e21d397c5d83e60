"""Screen sharing through the real websockets: the agent asks, the visitor agrees or
declines, the WebRTC signalling is relayed between the share's two parties only, either side
ends it, and the session is on the case timeline."""

import pytest
from asgiref.sync import sync_to_async

from caseway.cases.models import ActivityKind, Case
from caseway.livechat import screenshare
from caseway.livechat.models import ChatSession, ChatState, ScreenShare, ShareState
from caseway.livechat.tests.test_consumers import agent_console, lines_until, visitor
from caseway.routing.tests.factories import make_agent

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

OFFER = {"sdp": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}


def is_share(state):
    return lambda m: m["type"] == "share" and m["state"] == state


async def active_chat(chat_agent):
    """A visitor talking to the chat agent: (visitor socket, console socket, session id)."""
    comm = await visitor()
    await comm.send_json_to(
        {"type": "start", "name": "Vic", "email": "vic@example.test", "question": "Help me"}
    )
    await lines_until(comm, lambda m: m["type"] == "line" and m["role"] == "bot")
    await comm.send_json_to({"type": "person"})
    await lines_until(comm, lambda m: m["type"] == "state" and m["state"] == "waiting")
    console = await agent_console(chat_agent)
    seen = await lines_until(console, lambda m: m["type"] == "chat")
    session_id = seen[-1]["session"]
    await console.send_json_to({"type": "accept", "session": session_id})
    await lines_until(comm, lambda m: m["type"] == "line" and "joined the chat" in m["text"])
    return comm, console, session_id


async def notes():
    case = await sync_to_async(Case.objects.get)()
    return await sync_to_async(
        lambda: list(
            case.activities.filter(kind=ActivityKind.NOTE, text__startswith="Screen share")
            .order_by("pk")
            .values_list("text", flat=True)
        )
    )()


async def test_ask_agree_signal_both_ways_and_the_visitor_ends(chat_agent, settings):
    settings.CASEWAY_WEBRTC_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.CASEWAY_WEBRTC_TURN_URLS = ["turn:turn.example.test:3478"]
    settings.CASEWAY_WEBRTC_TURN_USERNAME = "caseway"
    settings.CASEWAY_WEBRTC_TURN_CREDENTIAL = "s3cret"
    comm, console, session_id = await active_chat(chat_agent)

    await console.send_json_to({"type": "share.request", "session": session_id})
    seen = await lines_until(comm, is_share("requested"))
    asked = seen[-1]
    assert asked["agent"] == "Cleo"
    assert asked["ice_servers"] == [
        {"urls": ["stun:stun.example.test:3478"]},
        {"urls": ["turn:turn.example.test:3478"], "username": "caseway", "credential": "s3cret"},
    ]
    share_id = asked["share"]
    await lines_until(console, is_share("requested"))
    # A signal before the visitor agreed is refused, and reaches nobody.
    await comm.send_json_to({"type": "share.signal", "share": share_id, "data": OFFER})
    await lines_until(comm, lambda m: m["type"] == "error")

    await comm.send_json_to({"type": "share.answer", "share": share_id, "accept": True})
    await lines_until(console, is_share("sharing"))
    await comm.send_json_to({"type": "share.signal", "share": share_id, "data": OFFER})
    seen = await lines_until(console, lambda m: m["type"] == "share.signal")
    assert seen[-1]["data"] == OFFER
    answer = {"sdp": {"type": "answer", "sdp": "v=0\r\n"}}
    await console.send_json_to(
        {"type": "share.signal", "session": session_id, "share": share_id, "data": answer}
    )
    seen = await lines_until(comm, lambda m: m["type"] == "share.signal")
    assert seen[-1]["data"] == answer

    await comm.send_json_to({"type": "share.end", "share": share_id})
    await lines_until(console, is_share("ended"))
    share = await sync_to_async(ScreenShare.objects.get)()
    assert share.state == ShareState.ENDED
    assert share.ended_by == "visitor"
    assert share.started_at is not None and share.ended_at >= share.started_at
    [note] = await notes()
    assert "Vic showed their screen to Cleo from " in note
    assert note.endswith("ended by Vic.")
    await comm.disconnect()
    await console.disconnect()


async def test_a_declined_request_is_told_and_noted(chat_agent):
    comm, console, session_id = await active_chat(chat_agent)
    await console.send_json_to({"type": "share.request", "session": session_id})
    share_id = (await lines_until(comm, is_share("requested")))[-1]["share"]
    # Asking twice while it is open is the same request.
    await console.send_json_to({"type": "share.request", "session": session_id})
    # (The console's messages are handled in order: once its typing cue arrives, so has that.)
    await console.send_json_to({"type": "typing", "session": session_id, "is_typing": True})
    await lines_until(comm, lambda m: m["type"] == "typing")
    await comm.send_json_to({"type": "share.answer", "share": share_id, "accept": False})
    await lines_until(console, is_share("declined"))
    assert await sync_to_async(ScreenShare.objects.count)() == 1
    assert await notes() == ["Screen share asked by Cleo: Vic declined."]
    await comm.disconnect()
    await console.disconnect()


async def test_only_the_shares_own_parties_signal(chat_agent, chat_queue):
    comm, console, session_id = await active_chat(chat_agent)
    await console.send_json_to({"type": "share.request", "session": session_id})
    share_id = (await lines_until(comm, is_share("requested")))[-1]["share"]
    await comm.send_json_to({"type": "share.answer", "share": share_id, "accept": True})
    await lines_until(console, is_share("sharing"))

    # Another agent of the queue cannot ask, signal or end it: the chat is not theirs.
    other = await sync_to_async(make_agent)(chat_queue, name="Olga")
    intruder = await agent_console(other)
    for message in (
        {"type": "share.request", "session": session_id},
        {"type": "share.signal", "session": session_id, "share": share_id, "data": OFFER},
        {"type": "share.end", "session": session_id, "share": share_id},
    ):
        await intruder.send_json_to(message)
        seen = await lines_until(intruder, lambda m: m["type"] == "error")
        assert "not yours" in seen[-1]["message"]

    # Another visitor cannot signal into it either: their session has no such share.
    stranger = await visitor()
    await stranger.send_json_to(
        {"type": "start", "name": "Sam", "email": "sam@example.test", "question": "Hi"}
    )
    await lines_until(stranger, lambda m: m["type"] == "line" and m["role"] == "bot")
    await stranger.send_json_to({"type": "share.signal", "share": share_id, "data": OFFER})
    await lines_until(stranger, lambda m: m["type"] == "error")
    await stranger.send_json_to({"type": "share.end", "share": share_id})
    await lines_until(stranger, lambda m: m["type"] == "error")
    share = await sync_to_async(ScreenShare.objects.get)()
    assert share.state == ShareState.SHARING

    # Oversized or malformed signals are refused.
    for data in ({"sdp": "x" * (screenshare.SIGNAL_MAX_BYTES + 1)}, "not an object"):
        await comm.send_json_to({"type": "share.signal", "share": share_id, "data": data})
        await lines_until(comm, lambda m: m["type"] == "error")
    for sock in (comm, console, intruder, stranger):
        await sock.disconnect()


async def test_ending_the_chat_ends_the_share(chat_agent):
    comm, console, session_id = await active_chat(chat_agent)
    await console.send_json_to({"type": "share.request", "session": session_id})
    share_id = (await lines_until(comm, is_share("requested")))[-1]["share"]
    await comm.send_json_to({"type": "share.answer", "share": share_id, "accept": True})
    await lines_until(console, is_share("sharing"))
    await console.send_json_to({"type": "end", "session": session_id})
    await lines_until(comm, is_share("ended"))
    share = await sync_to_async(ScreenShare.objects.get)()
    assert (share.state, share.ended_by) == (ShareState.ENDED, "agent")
    session = await sync_to_async(ChatSession.objects.get)()
    assert session.state == ChatState.ENDED
    [note] = await notes()
    assert note.endswith("ended by Cleo.")
    await comm.disconnect()
    await console.disconnect()


async def test_a_reconnecting_visitor_hears_the_open_request(chat_agent):
    comm, console, session_id = await active_chat(chat_agent)
    token = await sync_to_async(lambda: ChatSession.objects.get().token)()
    await console.send_json_to({"type": "share.request", "session": session_id})
    await lines_until(comm, is_share("requested"))
    await comm.disconnect()
    again = await visitor()
    await again.send_json_to({"type": "resume", "token": token, "cursor": 0})
    seen = await lines_until(again, is_share("requested"))
    assert seen[-1]["rejoined"] is True
    await again.disconnect()
    await console.disconnect()


async def test_the_visitor_ending_the_chat_ends_the_share(chat_agent):
    comm, console, session_id = await active_chat(chat_agent)
    await console.send_json_to({"type": "share.request", "session": session_id})
    share_id = (await lines_until(comm, is_share("requested")))[-1]["share"]
    await comm.send_json_to({"type": "share.answer", "share": share_id, "accept": True})
    await lines_until(console, is_share("sharing"))
    await comm.send_json_to({"type": "end"})
    await lines_until(console, is_share("ended"))
    share = await sync_to_async(ScreenShare.objects.get)()
    assert (share.state, share.ended_by) == (ShareState.ENDED, "visitor")
    [note] = await notes()
    assert note.endswith("ended by Vic.")
    await comm.disconnect()
    await console.disconnect()
