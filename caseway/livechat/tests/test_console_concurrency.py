"""An agent's console carries many chats: the frames of one chat are handled in order, chats
side by side, and cues for a chat whose read has not started yet add no read."""

import asyncio

import pytest

from caseway.livechat.consumers import AgentConsumer

pytestmark = pytest.mark.anyio


class Console(AgentConsumer):
    """The console's scheduling, with the database calls replaced by waits that record."""

    def __init__(self) -> None:
        super().__init__()
        self.session_locks = {}
        self.running = set()
        self.reads_waiting = set()
        self.send_lock = asyncio.Lock()
        self.cursors = {1: 0, 2: 0}
        self.log: list[str] = []
        self.gate = {1: asyncio.Event(), 2: asyncio.Event()}

    async def handle_frame(self, content):
        session, text = content["session"], content["text"]
        self.log.append(f"start {session} {text}")
        await self.gate[session].wait()
        self.log.append(f"done {session} {text}")

    async def send_lines(self, session_id):
        async with self.send_lock:
            self.reads_waiting.discard(session_id)
            self.log.append(f"read {session_id}")
            await asyncio.sleep(0.01)
        return False


async def settle(console):
    while console.running:
        await asyncio.gather(*console.running)


async def test_one_chat_waits_its_turn_while_another_goes_on():
    console = Console()
    await console.receive_json({"session": 1, "text": "a"})
    await console.receive_json({"session": 1, "text": "b"})
    await console.receive_json({"session": 2, "text": "c"})
    await asyncio.sleep(0.01)
    # Chat 1's first frame waits for its database call; chat 2's frame did not wait for it,
    # and chat 1's second frame did.
    assert console.log == ["start 1 a", "start 2 c"]
    console.gate[2].set()
    await asyncio.sleep(0.01)
    assert "done 2 c" in console.log and "start 1 b" not in console.log
    console.gate[1].set()
    await settle(console)
    assert console.log.index("done 1 a") < console.log.index("start 1 b")


async def test_cues_for_a_chat_whose_read_waits_add_no_read():
    console = Console()
    async with console.send_lock:  # a read of another chat is under way
        for _ in range(5):
            await console.chat_poke_session({"session": 1})
        await console.chat_poke_session({"session": 2})
        await asyncio.sleep(0.01)
    await settle(console)
    assert sorted(console.log) == ["read 1", "read 2"]
    # Once a read has started, the next cue asks for another.
    await console.chat_poke_session({"session": 1})
    await settle(console)
    assert console.log.count("read 1") == 2
