"""Presence and capacity: switching presence, offline releases, auto-busy, load recounts."""

import pytest

from caseway.cases import services as case_services
from caseway.cases.exceptions import NotAnAgent
from caseway.cases.models import CaseStatus
from caseway.cases.tests.factories import QueueFactory
from caseway.core.events import subscribe, unsubscribe
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.events import PresenceChanged
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    DecisionKind,
    Offer,
    OfferStatus,
    Presence,
    RoutingDecision,
    WorkKind,
)
from caseway.routing.presence import recount_load, set_presence
from caseway.routing.queries import agent_state, queue_stats
from caseway.routing.tests.factories import WaitingCaseFactory, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return QueueFactory(name="Support", slug="support")


@pytest.fixture
def presence_events():
    seen = []
    subscribe(PresenceChanged, seen.append)
    yield seen
    unsubscribe(PresenceChanged, seen.append)


def owner_of(case):
    case.refresh_from_db()
    return case.owner


def profile_of(user):
    return AgentProfile.objects.get(agent=user)


def test_the_first_switch_creates_the_profile_and_publishes(
    agent, presence_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        profile = set_presence(agent=agent, presence=Presence.AVAILABLE)

    assert profile.presence == Presence.AVAILABLE
    assert profile.presence_changed_at is not None
    assert presence_events == [PresenceChanged(agent_id=agent.pk, presence=Presence.AVAILABLE)]
    assert AgentLoad.objects.filter(agent=agent).count() == len(WorkKind.values)


def test_an_unknown_presence_is_refused(agent):
    with pytest.raises(ValueError, match="unknown presence"):
        set_presence(agent=agent, presence="asleep")


def test_only_agents_have_a_presence(customer):
    with pytest.raises(NotAnAgent):
        set_presence(agent=customer.user, presence=Presence.AVAILABLE)
    assert not AgentProfile.objects.exists()


def test_the_same_presence_again_changes_nothing(
    agent, presence_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent=agent, presence=Presence.AWAY)
        set_presence(agent=agent, presence=Presence.AWAY)

    assert presence_events == [PresenceChanged(agent_id=agent.pk, presence=Presence.AWAY)]
    assert profile_of(agent).presence == Presence.AWAY


def test_becoming_available_gives_out_waiting_cases(queue, django_capture_on_commit_callbacks):
    ada = make_agent(queue, name="Ada", presence=Presence.AWAY, capacity=2)
    cases = WaitingCaseFactory.create_batch(3, queue=queue)

    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent=ada, presence=Presence.AVAILABLE)

    assert [owner_of(c) for c in cases] == [ada, ada, None]
    profile = profile_of(ada)
    assert (profile.presence, profile.is_auto_busy) == (Presence.BUSY, True)


def test_going_offline_releases_work_to_someone_else(queue, django_capture_on_commit_callbacks):
    ada = make_agent(queue, name="Ada")
    bob = make_agent(queue, name="Bob", presence=Presence.AWAY)
    first, second = WaitingCaseFactory.create_batch(2, queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        assign_waiting_case(case_id=first.pk)
        assign_waiting_case(case_id=second.pk)
    assert owner_of(first) == owner_of(second) == ada
    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent=bob, presence=Presence.AVAILABLE)

    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent=ada, presence=Presence.OFFLINE)

    assert owner_of(first) == owner_of(second) == bob
    release = RoutingDecision.objects.get(case=first, kind=DecisionKind.RELEASE)
    assert release.summary == "Back to Support: Ada went offline"
    assert [d.kind for d in RoutingDecision.objects.filter(case=first)] == [
        DecisionKind.ASSIGN,
        DecisionKind.RELEASE,
        DecisionKind.ASSIGN,
    ]
    assert set(Offer.objects.filter(agent=ada).values_list("status", flat=True)) == {
        OfferStatus.WITHDRAWN
    }
    assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 0
    assert AgentLoad.objects.get(agent=bob, work_kind=WorkKind.CASE).active == 2


def test_offline_with_nobody_else_leaves_the_work_waiting(
    queue, django_capture_on_commit_callbacks
):
    ada = make_agent(queue, name="Ada")
    case = WaitingCaseFactory(queue=queue)
    assign_waiting_case(case_id=case.pk)

    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent=ada, presence=Presence.OFFLINE)

    case.refresh_from_db()
    assert case.owner is None
    assert case.queued_at is not None
    kinds = [d.kind for d in RoutingDecision.objects.filter(case=case)]
    assert kinds == [DecisionKind.ASSIGN, DecisionKind.RELEASE, DecisionKind.WAIT]


def test_full_capacity_makes_busy_and_finishing_work_makes_available_again(
    queue, django_capture_on_commit_callbacks
):
    ada = make_agent(queue, name="Ada", capacity=1)
    first, second = WaitingCaseFactory.create_batch(2, queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        assign_waiting_case(case_id=first.pk)
        assign_waiting_case(case_id=second.pk)
    assert owner_of(second) is None
    assert (profile_of(ada).presence, profile_of(ada).is_auto_busy) == (Presence.BUSY, True)

    with django_capture_on_commit_callbacks(execute=True):
        case_services.change_status(case=first, status=CaseStatus.RESOLVED, actor=ada)

    # Back to available, and the waiting case came at once (which fills Ada again).
    assert owner_of(second) == ada
    assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 1
    assert profile_of(ada).is_auto_busy


def test_busy_set_by_hand_stays_busy_when_capacity_frees(queue, django_capture_on_commit_callbacks):
    ada = make_agent(queue, name="Ada", capacity=1)
    case = WaitingCaseFactory(queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        assign_waiting_case(case_id=case.pk)
        set_presence(agent=ada, presence=Presence.BUSY)

    with django_capture_on_commit_callbacks(execute=True):
        case_services.change_status(case=case, status=CaseStatus.RESOLVED, actor=ada)

    assert (profile_of(ada).presence, profile_of(ada).is_auto_busy) == (Presence.BUSY, False)


def test_available_at_full_capacity_becomes_busy_automatically(queue):
    ada = make_agent(queue, name="Ada", presence=Presence.AWAY, capacity=1)
    AgentLoad.objects.create(agent=ada, work_kind=WorkKind.CASE, active=1)

    profile = set_presence(agent=ada, presence=Presence.AVAILABLE)

    assert (profile.presence, profile.is_auto_busy) == (Presence.BUSY, True)


def test_recount_sets_active_to_the_open_cases_owned_and_is_idempotent(queue):
    ada = make_agent(queue, name="Ada", capacity=2)
    WaitingCaseFactory.create_batch(2, queue=queue, owner=ada, queued_at=None)
    WaitingCaseFactory(queue=queue, owner=ada, status=CaseStatus.RESOLVED)
    AgentLoad.objects.create(agent=ada, work_kind=WorkKind.CASE, active=7)

    change = recount_load(agent_id=ada.pk, work_kind=WorkKind.CASE)
    again = recount_load(agent_id=ada.pk, work_kind=WorkKind.CASE)

    assert (change.before, change.after, change.freed) == (7, 2, False)
    assert (again.before, again.after) == (2, 2)
    assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 2


def test_a_case_reassigned_by_hand_moves_the_load(queue, django_capture_on_commit_callbacks):
    ada = make_agent(queue, name="Ada")
    bob = make_agent(queue, name="Bob", presence=Presence.AWAY)
    case = WaitingCaseFactory(queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        offer = assign_waiting_case(case_id=case.pk)

    with django_capture_on_commit_callbacks(execute=True):
        case_services.assign_case(case=case, owner=bob, actor=ada)

    assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 0
    assert AgentLoad.objects.get(agent=bob, work_kind=WorkKind.CASE).active == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN


def test_agent_state_shows_load_against_capacity(queue):
    ada = make_agent(queue, name="Ada", capacity=4)
    AgentLoad.objects.create(agent=ada, work_kind=WorkKind.CASE, active=3)

    state = agent_state(ada)

    case_load = next(load for load in state.loads if load.work_kind == WorkKind.CASE)
    chat_load = next(load for load in state.loads if load.work_kind == WorkKind.CHAT)
    assert (case_load.used, case_load.capacity.max_units, case_load.left) == (3, 4, 1)
    assert (chat_load.used, chat_load.capacity.max_units) == (0, 3)
    assert state.presence == Presence.AVAILABLE
    assert not state.is_full


def test_queue_stats_count_waiting_cases_and_available_agents(queue):
    make_agent(queue, name="Ada")
    make_agent(queue, name="Bob", presence=Presence.AWAY)
    cases = WaitingCaseFactory.create_batch(2, queue=queue)

    stats = queue_stats([queue.pk])[queue.pk]

    assert stats.waiting == 2
    assert stats.waiting_since == min(c.queued_at for c in cases)
    assert stats.agents_available == 1
