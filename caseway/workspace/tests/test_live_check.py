"""The process's check reads every page's state at once: a fixed number of queries however
many agents, and for each agent what their own sidebar, presence and queues say."""

import pytest

from caseway.cases.models import CaseStatus
from caseway.cases.tests.factories import CaseFactory, QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.routing.models import Presence
from caseway.routing.tests.factories import AgentProfileFactory
from caseway.workspace.live_check import activity_cues, read_state, read_states

pytestmark = pytest.mark.django_db


def test_the_queries_do_not_grow_with_the_agents(django_assert_num_queries, default_queue):
    agents = [UserFactory(username=f"a{n}", is_staff=True) for n in range(6)]
    for agent in agents:
        default_queue.members.add(agent)
        AgentProfileFactory(agent=agent)
    with django_assert_num_queries(6):
        read_states({agents[0].pk: False})
    with django_assert_num_queries(6):
        states = read_states({agent.pk: False for agent in agents})
    assert set(states) == {agent.pk for agent in agents}


def test_each_agent_sees_only_the_counts_of_their_queues(default_queue):
    billing = QueueFactory(name="Billing", slug="billing")
    ann = UserFactory(username="ann", is_staff=True)
    bob = UserFactory(username="bob", is_staff=True)
    default_queue.members.add(ann)
    billing.supervisors.add(bob)
    before = read_states({ann.pk: False, bob.pk: False})
    assert before[ann.pk]["queues"] == frozenset({default_queue.pk})
    assert before[bob.pk]["queues"] == frozenset({billing.pk})

    CaseFactory(queue=billing)
    after = read_states({ann.pk: False, bob.pk: False})
    assert after[ann.pk]["counts"] == before[ann.pk]["counts"]
    assert after[bob.pk]["counts"] != before[bob.pk]["counts"]


def test_my_own_case_elsewhere_changes_my_counts(default_queue):
    billing = QueueFactory(name="Billing", slug="billing")
    ann = UserFactory(username="ann", is_staff=True)
    default_queue.members.add(ann)
    before = read_state(ann)
    case = CaseFactory(queue=billing, owner=ann)
    assert read_state(ann)["counts"] != before["counts"]
    middle = read_state(ann)
    case.status = CaseStatus.RESOLVED
    case.save()
    assert read_state(ann)["counts"] != middle["counts"]


def test_an_admin_sees_every_queue(admin_user, default_queue):
    billing = QueueFactory(name="Billing", slug="billing")
    before = read_state(admin_user)
    assert before["admin"]
    CaseFactory(queue=billing)
    assert read_state(admin_user)["counts"] != before["counts"]


def test_presence_and_offers_come_from_the_profile():
    agent = UserFactory(username="ann", is_staff=True)
    assert read_state(agent)["presence"] == Presence.OFFLINE
    AgentProfileFactory(agent=agent, presence=Presence.AVAILABLE)
    assert read_state(agent)["presence"] == Presence.AVAILABLE


def test_activity_cues_keep_to_the_agents_cases():
    rows = [
        (10, 1, "message_in", {}, 5, None),
        (11, 2, "message_in", {}, 6, None),
        (12, 3, "sla", {"sla": "warning"}, 6, 7),
        (9, 1, "message_in", {}, 5, None),
    ]
    state = {"queues": frozenset({5}), "admin": False}
    cues = activity_cues(rows, after=9, state=state, agent_id=7)
    assert [(c["cue"], c["case"], c["activity"]) for c in cues] == [
        ("message", 1, 10),
        ("sla", 3, 12),
    ]
    assert cues[1]["moment"] == "warning"
