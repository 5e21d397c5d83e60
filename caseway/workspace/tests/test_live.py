"""The workspace's live cues over the agent websocket, through the real ASGI application:
pushed after commit to the groups of who may see the case, and found by the connection's own
check when the push was made in another process (the worker's SLA sweep)."""

import asyncio
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from caseway.cases import services
from caseway.cases.tests.factories import QueueFactory
from caseway.config.asgi import application
from caseway.connectors.chat import pushes_folded
from caseway.customers.tests.factories import UserFactory
from caseway.sla.escalation import fire_due_sla_actions
from caseway.sla.models import Entitlement, SlaInstance, SlaKpi
from caseway.sla.tests.factories import EntitlementFactory, SlaPolicyFactory, add_targets
from caseway.workspace import live, live_check, live_consumer

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://127.0.0.1")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def pushes_only(settings):
    """No fallback check unless a test asks for one: what arrives was pushed."""
    settings.CASEWAY_LIVE_INTERVAL = 3600


@pytest.fixture
def sla_case(agent, customer, receive):
    """A case under a 24x7 default SLA (first response in an hour, warned 10 min before),
    in place of the migrations' default (still there when no transactional test ran before)."""
    Entitlement.objects.filter(is_default=True).update(is_default=False)
    policy = add_targets(SlaPolicyFactory(), first_response=60, resolution=480)
    EntitlementFactory(policy=policy, is_default=True)
    return receive(subject="Printer on fire", text="It is on fire.").case


async def connect(user, path="/ws/agent/?chat=0"):
    comm = WebsocketCommunicator(application, path, headers=ORIGIN)
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    assert await comm.receive_json_from(timeout=5) == {"type": "workspace", "cue": "ready"}
    return comm


async def cues_until(comm, predicate, limit=30):
    seen = []
    for _ in range(limit):
        try:
            message = await comm.receive_json_from(timeout=5)
        except TimeoutError:
            raise AssertionError(f"nothing matched in {seen}") from None
        seen.append(message)
        if predicate(message):
            return seen
    raise AssertionError(f"nothing matched in {seen}")  # pragma: no cover


def is_cue(cue, case_id=None):
    def match(message):
        return (
            message.get("type") == "workspace"
            and message.get("cue") == cue
            and (case_id is None or message.get("case") == case_id)
        )

    return match


async def test_a_new_case_in_my_queue_gives_me_a_case_and_a_message_cue(agent, customer, receive):
    comm = await connect(agent)

    result = await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    seen = await cues_until(comm, is_cue("case", result.case.pk))
    await cues_until(comm, is_cue("message", result.case.pk))
    # Cues carry ids only.
    assert set(seen[-1]) <= {"type", "cue", "case", "activity", "moment"}
    await comm.disconnect()


@pytest.mark.parametrize("path", ["/ws/agent/?chat=0", "/ws/agent/"])
async def test_case_cues_close_together_reach_a_page_as_one_frame(agent, customer, receive, path):
    comm = await connect(agent, path)

    def cases(count):
        # As the task that puts a batch of chat lines on their cases: one message per group.
        with pushes_folded():
            return [receive(subject=f"Printer {n}", text="On fire.").case.pk for n in range(count)]

    ids = await sync_to_async(cases)(2)
    first = await comm.receive_json_from(timeout=5)
    assert first["type"] == "workspace" and first["case"] == ids[0]  # the first goes at once
    seen = await cues_until(comm, is_cue("cases"))
    assert seen[-1]["cases"] == ids  # the rest, folded

    # Once the window has closed, many more within the next: still one frame after the first.
    assert await comm.receive_nothing(timeout=live_consumer.FOLD_S * 2)
    layer = get_channel_layer()
    group = live.agent_group(agent.pk)
    for n in range(50):
        await layer.group_send(group, {"type": "workspace.cue", "cue": "message", "case": n})
    frames = [await comm.receive_json_from(timeout=5) for _ in range(2)]
    assert frames[0]["case"] == 0
    assert frames[1] == {"type": "workspace", "cue": "cases", "cases": list(range(1, 50))}
    assert await comm.receive_nothing(timeout=live_consumer.FOLD_S * 2)
    await comm.disconnect()


async def test_a_case_in_a_queue_i_am_not_in_gives_me_nothing(customer, receive, default_queue):
    other = await sync_to_async(QueueFactory)(name="Billing", slug="billing")
    outsider = await sync_to_async(UserFactory)(username="bo", is_staff=True)
    await sync_to_async(other.members.add)(outsider)
    comm = await connect(outsider)

    await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_an_admin_hears_every_queue(admin_user, customer, receive):
    comm = await connect(admin_user)

    result = await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    await cues_until(comm, is_cue("case", result.case.pk))
    await comm.disconnect()


async def test_assignment_reaches_the_new_owner_outside_the_queue(agent, case):
    other = await sync_to_async(QueueFactory)(name="Billing", slug="billing")
    newcomer = await sync_to_async(UserFactory)(username="ned", is_staff=True)
    await sync_to_async(other.members.add)(newcomer)
    theirs = await connect(newcomer)
    mine = await connect(agent)

    await sync_to_async(services.assign_case)(case=case, owner=newcomer, actor=agent)

    await cues_until(theirs, is_cue("assignment", case.pk))
    await cues_until(mine, is_cue("assignment", case.pk))
    await theirs.disconnect()
    await mine.disconnect()


async def test_a_customer_reply_and_a_status_change_give_message_and_status_cues(
    agent, case, receive
):
    comm = await connect(agent)

    await sync_to_async(receive)(case_reference=case.number, text="Still burning.")
    await cues_until(comm, is_cue("message", case.pk))
    await sync_to_async(services.change_status)(case=case, status="active", actor=agent)
    await cues_until(comm, is_cue("status", case.pk))
    await comm.disconnect()


async def test_an_agents_reply_gives_one_message_cue_and_nothing_more(agent, sla_case):
    case = sla_case
    comm = await connect(agent)

    await sync_to_async(services.record_reply)(case=case, agent=agent, text="On my way.")
    await cues_until(comm, is_cue("message", case.pk))
    # Its first response (an SLA time) and its status (new -> active) add no cue of their own.
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_an_sla_breach_from_the_sweep_in_this_process_is_pushed(agent, sla_case):
    case = sla_case
    comm = await connect(agent)

    await sync_to_async(fire_due_sla_actions)(now=timezone.now() + timedelta(days=30))

    seen = await cues_until(comm, is_cue("sla", case.pk))
    assert seen[-1]["moment"] == "breach"
    await comm.disconnect()


async def test_an_sla_warning_from_another_process_is_found_by_the_check(settings, agent, sla_case):
    """The worker's sweep pushes into its own in-memory layer, which this process never
    hears: the connection's check finds the sweep's timeline entry within its interval."""
    case = sla_case
    settings.CASEWAY_LIVE_INTERVAL = 0.2
    comm = await connect(agent)
    timer = await sync_to_async(SlaInstance.objects.get)(case=case, kpi=SlaKpi.FIRST_RESPONSE)

    with mock.patch.object(live, "push"):  # the push goes nowhere, as from the worker
        await sync_to_async(fire_due_sla_actions)(now=timer.warn_at + timedelta(seconds=1))

    seen = await cues_until(comm, is_cue("sla", case.pk))
    assert seen[-1]["moment"] == "warning"
    await comm.disconnect()


async def test_the_check_sends_nothing_for_a_case_outside_my_queues(settings, customer, receive):
    settings.CASEWAY_LIVE_INTERVAL = 0.1
    other = await sync_to_async(QueueFactory)(name="Billing", slug="billing")
    outsider = await sync_to_async(UserFactory)(username="bo", is_staff=True)
    await sync_to_async(other.members.add)(outsider)
    comm = await connect(outsider)

    with mock.patch.object(live, "push"):
        await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    assert await comm.receive_nothing(timeout=0.6)
    await comm.disconnect()


async def test_joining_a_queue_brings_its_cues_without_reconnecting(
    settings, customer, receive, default_queue
):
    settings.CASEWAY_LIVE_INTERVAL = 0.1
    newcomer = await sync_to_async(UserFactory)(username="ned", is_staff=True)
    comm = await connect(newcomer)
    await sync_to_async(default_queue.members.add)(newcomer)
    await asyncio.sleep(0.5)  # the next check joins the queue's group

    result = await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    await cues_until(comm, is_cue("case", result.case.pk))
    await comm.disconnect()


async def test_the_chat_console_socket_carries_the_cues_too(agent, customer, receive):
    comm = await connect(agent, path="/ws/agent/")

    result = await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    await cues_until(comm, is_cue("case", result.case.pk))
    await comm.disconnect()


async def test_a_customer_gets_no_agent_socket(customer):
    comm = WebsocketCommunicator(application, "/ws/agent/?chat=0", headers=ORIGIN)
    comm.scope["user"] = customer.user
    connected, _ = await comm.connect()
    assert not connected


async def test_the_check_ends_quietly_when_the_client_has_gone(caplog, monkeypatch):
    """A check that finds the socket closed (the server raises an OSError, uvicorn's
    ClientDisconnected, before the consumer hears of the disconnect) leaves the process's
    check, logging nothing."""
    from caseway.workspace.live_consumer import WorkspaceAgentConsumer

    state = {"queues": frozenset(), "admin": False, "activity": 0}
    monkeypatch.setattr(live_check, "changes", lambda before, after: ["counts"])
    consumer = WorkspaceAgentConsumer()
    consumer.user = mock.Mock(pk=7)
    consumer.live_state = dict(state)

    async def no_groups(current):
        return None

    async def gone(content):
        raise ConnectionResetError("the client has gone")

    consumer.join_live = no_groups
    consumer.send_json = gone
    live_check.checker().add(consumer)
    await asyncio.wait_for(consumer.checked(dict(state), []), timeout=5)
    assert consumer not in live_check.checker().connections
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_one_check_serves_every_page_of_the_process(
    settings, agent, customer, receive, default_queue
):
    """Three agents' pages, one check: a case in their queue reaches each page once, from
    the check, when its push went nowhere (as from another process)."""
    settings.CASEWAY_LIVE_INTERVAL = 0.1
    others = [
        await sync_to_async(UserFactory)(username=f"peer{n}", is_staff=True) for n in range(2)
    ]
    for other in others:
        await sync_to_async(default_queue.members.add)(other)
    comms = [await connect(user) for user in (agent, *others)]
    assert len(live_check.checker().connections) == 3

    with mock.patch.object(live, "push"):
        result = await sync_to_async(receive)(subject="Printer on fire", text="It is on fire.")

    for comm in comms:
        await cues_until(comm, is_cue("message", result.case.pk))
    for comm in comms:
        await comm.disconnect()
    assert not live_check.checker().connections
