"""Assignment of waiting cases: skills, methods, presence, hours, capacity, offers, picking."""

import datetime
from collections import Counter
from datetime import UTC

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caseway.cases import services as case_services
from caseway.cases.models import Case, CaseStatus
from caseway.cases.tests.factories import QueueFactory
from caseway.core.events import publish
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.events import CaseRouted
from caseway.routing.exceptions import CaseTaken, NoOffer, OverCapacity
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    AssignmentMethod,
    CapacityReset,
    DecisionKind,
    Offer,
    OfferStatus,
    Presence,
    QueueRouting,
    RoutingDecision,
    WorkKind,
)
from caseway.routing.offers import accept_offer, decline_offer, pick_case
from caseway.routing.presence import ensure_loads
from caseway.routing.tests.factories import (
    CaseRequirementFactory,
    QueueRoutingFactory,
    SkillFactory,
    WaitingCaseFactory,
    make_agent,
)
from caseway.routing.waiting import assign_waiting_cases
from caseway.sla.tests.factories import BusinessCalendarFactory

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in Berlin.
WEDNESDAY_10 = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


@pytest.fixture
def queue():
    return QueueFactory(name="Support", slug="support")


def set_load(agent, active, kind=WorkKind.CASE, **fields):
    AgentLoad.objects.update_or_create(
        agent=agent, work_kind=kind, defaults={"active": active, **fields}
    )


def decisions(case, kind=None):
    rows = RoutingDecision.objects.filter(case=case)
    return list(rows.filter(kind=kind) if kind else rows)


def owner_of(case):
    case.refresh_from_db()
    return case.owner


class TestSkills:
    def test_an_exact_match_beats_more_capacity(self, queue):
        router = SkillFactory(name="Routers")
        ada = make_agent(queue, name="Ada", capacity=3, skills={router: 4})
        make_agent(queue, name="Bob", capacity=10, skills={router: 2})
        case = WaitingCaseFactory(queue=queue)
        CaseRequirementFactory(case=case, skill=router, min_proficiency=3)

        offer = assign_waiting_case(case_id=case.pk)

        assert offer.agent == ada
        assert owner_of(case) == ada
        [decision] = decisions(case, DecisionKind.ASSIGN)
        assert decision.explanation["skill_mode"] == "exact"
        assert [s["name"] for s in decision.explanation["skipped"]] == ["Bob"]
        assert decision.explanation["skipped"][0]["reason"] == "skills"

    def test_the_closest_match_when_nobody_matches_exactly(self, queue):
        router, german = SkillFactory(name="Routers"), SkillFactory(name="German")
        ada = make_agent(queue, name="Ada", skills={router: 4, german: 3})
        make_agent(queue, name="Bob", skills={router: 2})
        case = WaitingCaseFactory(queue=queue)
        CaseRequirementFactory(case=case, skill=router, min_proficiency=5)
        CaseRequirementFactory(case=case, skill=german, min_proficiency=3)

        assert assign_waiting_case(case_id=case.pk).agent == ada

        [decision] = decisions(case, DecisionKind.ASSIGN)
        assert decision.explanation["skill_mode"] == "closest"
        assert decision.explanation["candidates"][0]["shortfall"] == 1
        assert "Closest skill match" in decision.summary

    def test_closest_keeps_only_the_smallest_shortfall_then_the_method_decides(self, queue):
        router = SkillFactory(name="Routers")
        make_agent(queue, name="Ada", capacity=3, skills={router: 4})
        bob = make_agent(queue, name="Bob", capacity=8, skills={router: 4})
        make_agent(queue, name="Cy", capacity=20, skills={router: 1})
        case = WaitingCaseFactory(queue=queue)
        CaseRequirementFactory(case=case, skill=router, min_proficiency=5)

        assert assign_waiting_case(case_id=case.pk).agent == bob

        explanation = decisions(case, DecisionKind.ASSIGN)[0].explanation
        assert [c["name"] for c in explanation["candidates"]] == ["Bob", "Ada"]
        assert explanation["skipped"] == [
            {"agent_id": explanation["skipped"][0]["agent_id"], "name": "Cy",
             "reason": "skills", "detail": "short by 4 levels"}
        ]  # fmt: skip


class TestMethods:
    def test_highest_capacity_gives_to_the_most_room_left(self, queue):
        ada = make_agent(queue, name="Ada", capacity=10)
        bob = make_agent(queue, name="Bob", capacity=5)
        set_load(ada, 3)
        set_load(bob, 1)
        case = WaitingCaseFactory(queue=queue)

        assert assign_waiting_case(case_id=case.pk).agent == ada

        [decision] = decisions(case, DecisionKind.ASSIGN)
        assert decision.summary == "Assigned to Ada (highest available capacity: 7 of 10 left)"
        scores = {c["name"]: c["score"] for c in decision.explanation["candidates"]}
        assert scores == {"Ada": 7, "Bob": 4}
        assert decision.explanation["winner"]["why"] == "most capacity left (7 of 10)"
        assert decision.explanation["method"] == AssignmentMethod.HIGHEST_CAPACITY

    def test_highest_capacity_ties_go_to_the_longest_idle(self, queue):
        ada = make_agent(queue, name="Ada")
        bob = make_agent(queue, name="Bob")
        cy = make_agent(queue, name="Cy")
        AgentProfile.objects.filter(agent=ada).update(last_assigned_at=timezone.now())
        AgentProfile.objects.filter(agent=bob).update(
            last_assigned_at=timezone.now() - datetime.timedelta(hours=1)
        )
        first, second, third = WaitingCaseFactory.create_batch(3, queue=queue)

        assert assign_waiting_case(case_id=first.pk).agent == cy  # never assigned
        assert "tie broken by longest idle" in decisions(first)[0].explanation["winner"]["why"]
        # Cy now has less room; Bob and Ada tie on capacity, Bob idles longer.
        assert assign_waiting_case(case_id=second.pk).agent == bob
        assert assign_waiting_case(case_id=third.pk).agent == ada

    def test_round_robin_takes_the_next_member_after_the_last_and_wraps(self, queue):
        ada = make_agent(queue, name="Ada")
        bob = make_agent(queue, name="Bob")
        cy = make_agent(queue, name="Cy")
        QueueRoutingFactory(
            queue=queue, method=AssignmentMethod.ROUND_ROBIN, last_assigned_agent=bob
        )
        cases = WaitingCaseFactory.create_batch(4, queue=queue)

        winners = [assign_waiting_case(case_id=c.pk).agent for c in cases]

        assert winners == [cy, ada, bob, cy]
        assert QueueRouting.objects.get(queue=queue).last_assigned_agent == cy
        assert decisions(cases[0])[0].summary == "Assigned to Cy (round robin: next after Bob)"

    def test_least_active_gives_to_the_fewest_open_items_then_longest_idle(self, queue):
        ada = make_agent(queue, name="Ada", capacity=10)
        bob = make_agent(queue, name="Bob", capacity=3)
        cy = make_agent(queue, name="Cy", capacity=10)
        QueueRoutingFactory(queue=queue, method=AssignmentMethod.LEAST_ACTIVE)
        set_load(ada, 4)
        set_load(bob, 1)
        set_load(cy, 1)
        AgentProfile.objects.filter(agent=cy).update(last_assigned_at=timezone.now())
        AgentProfile.objects.filter(agent=bob).update(
            last_assigned_at=timezone.now() - datetime.timedelta(hours=2)
        )
        case = WaitingCaseFactory(queue=queue)

        assert assign_waiting_case(case_id=case.pk).agent == bob

        [decision] = decisions(case, DecisionKind.ASSIGN)
        assert decision.summary == "Assigned to Bob (least active: 1 open item)"
        assert [(c["name"], c["score"]) for c in decision.explanation["candidates"]] == [
            ("Bob", 1),
            ("Cy", 1),
            ("Ada", 4),
        ]

    def test_a_manual_queue_never_assigns(self, queue):
        make_agent(queue, name="Ada")
        QueueRoutingFactory(queue=queue, method=AssignmentMethod.MANUAL)
        case = WaitingCaseFactory(queue=queue)

        assert assign_waiting_case(case_id=case.pk) is None

        [decision] = decisions(case)
        assert decision.kind == DecisionKind.WAIT
        assert decision.summary == "Support is worked by hand; waits in queue"


class TestWhoMayGetWork:
    def test_only_available_agents_within_their_hours(self, queue):
        hours = BusinessCalendarFactory(
            name="Nights", weekdays=[(2, datetime.time(20), datetime.time(23))]
        )
        make_agent(queue, name="Ada", presence=Presence.AWAY)
        make_agent(queue, name="Bob", working_hours=hours)
        make_agent(queue, name="Cy", presence=Presence.OFFLINE)
        dee = make_agent(queue, name="Dee")
        queue.members.add(make_agent(None, name="Eve"))
        AgentProfile.objects.filter(agent__username="eve").delete()
        case = WaitingCaseFactory(queue=queue)

        assert assign_waiting_case(case_id=case.pk, now=WEDNESDAY_10).agent == dee

        skipped = decisions(case)[0].explanation["skipped"]
        assert {(s["name"], s["reason"], s["detail"]) for s in skipped} == {
            ("Ada", "presence", "away"),
            ("Bob", "hours", "Nights"),
            ("Cy", "presence", "offline"),
            ("Eve", "presence", "offline"),
        }

    def test_within_working_hours_the_agent_gets_work(self, queue):
        hours = BusinessCalendarFactory(name="Days")  # Mon-Fri 9-17 Berlin
        ada = make_agent(queue, name="Ada", working_hours=hours)
        case = WaitingCaseFactory(queue=queue)

        assert assign_waiting_case(case_id=case.pk, now=WEDNESDAY_10).agent == ada

    def test_nobody_available_waits_once_however_often_it_is_tried(self, queue):
        make_agent(queue, name="Ada", presence=Presence.AWAY)
        case = WaitingCaseFactory(queue=queue)

        for _ in range(3):
            assert assign_waiting_case(case_id=case.pk) is None

        [decision] = decisions(case)
        assert decision.kind == DecisionKind.WAIT
        assert decision.summary == "No available agent with capacity in Support; waits in queue"
        assert decision.explanation["skipped"][0]["reason"] == "presence"

    def test_owned_or_closed_cases_are_left_alone(self, queue, agent):
        make_agent(queue, name="Ada")
        owned = WaitingCaseFactory(queue=queue, owner=agent)
        closed = WaitingCaseFactory(queue=queue, status=CaseStatus.RESOLVED)

        assert assign_waiting_case(case_id=owned.pk) is None
        assert assign_waiting_case(case_id=closed.pk) is None
        assert RoutingDecision.objects.count() == 0


class TestCapacity:
    def test_capacity_is_never_exceeded_and_full_means_busy(self, queue):
        ada = make_agent(queue, name="Ada", capacity=2)
        cases = WaitingCaseFactory.create_batch(3, queue=queue)

        offers = [assign_waiting_case(case_id=c.pk) for c in cases]

        assert [o.agent if o else None for o in offers] == [ada, ada, None]
        assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 2
        profile = AgentProfile.objects.get(agent=ada)
        assert (profile.presence, profile.is_auto_busy) == (Presence.BUSY, True)
        assert decisions(cases[1])[0].summary.endswith("(highest available capacity: 1 of 2 left)")

    def test_a_full_agent_is_skipped_with_the_reason(self, queue):
        ada = make_agent(queue, name="Ada", capacity=2)
        bob = make_agent(queue, name="Bob", capacity=2)
        set_load(ada, 2)
        case = WaitingCaseFactory(queue=queue)

        assert assign_waiting_case(case_id=case.pk).agent == bob
        skipped = decisions(case)[0].explanation["skipped"]
        assert skipped[0]["reason"] == "capacity"
        assert skipped[0]["detail"] == "2 of 2"

    def test_the_default_capacity_comes_from_settings(self, queue, settings):
        settings.CASEWAY_DEFAULT_CASE_CAPACITY = 1
        ada = make_agent(queue, name="Ada")
        first, second = WaitingCaseFactory.create_batch(2, queue=queue)

        assert assign_waiting_case(case_id=first.pk).agent == ada
        assert assign_waiting_case(case_id=second.pk) is None

    def test_end_of_day_capacity_counts_todays_assignments_and_resets_next_day(self, queue):
        ada = make_agent(queue, name="Ada", capacity=2, capacity__reset=CapacityReset.END_OF_DAY)
        cases = WaitingCaseFactory.create_batch(3, queue=queue)
        for case in cases[:2]:
            assert assign_waiting_case(case_id=case.pk, now=WEDNESDAY_10).agent == ada
            case_services.change_status(case=case, status=CaseStatus.RESOLVED, actor=ada)
        AgentLoad.objects.filter(agent=ada).update(active=0)  # what the recount would say

        assert assign_waiting_case(case_id=cases[2].pk, now=WEDNESDAY_10) is None

        thursday = WEDNESDAY_10 + datetime.timedelta(days=1)
        assert assign_waiting_cases(now=thursday) == 1
        assert owner_of(cases[2]) == ada
        load = AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE)
        assert (load.assigned_today, load.day) == (1, thursday.date())

    def test_the_smallest_profile_of_the_queues_kind_of_work_applies(self, queue):
        from caseway.routing.tests.factories import CapacityProfileFactory

        chats = QueueFactory(name="Chat", slug="chat")
        QueueRoutingFactory(queue=chats, work_kind=WorkKind.CHAT)
        ada = make_agent(
            chats,
            name="Ada",
            capacity=[
                CapacityProfileFactory(work_kind=WorkKind.CHAT, max_units=2),
                CapacityProfileFactory(work_kind=WorkKind.CHAT, max_units=1),
                CapacityProfileFactory(work_kind=WorkKind.CASE, max_units=50),
            ],
        )
        first, second = WaitingCaseFactory.create_batch(2, queue=chats)

        assert assign_waiting_case(case_id=first.pk).agent == ada
        assert assign_waiting_case(case_id=second.pk) is None
        assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CHAT).active == 1


class TestSweep:
    def test_higher_priority_queues_first_then_oldest_waiting(self, queue):
        vip = QueueFactory(name="VIP", slug="vip")
        QueueRoutingFactory(queue=vip, priority=10)
        ada = make_agent(queue, name="Ada", capacity=2)
        vip.members.add(ada)
        now = timezone.now()
        old_general = WaitingCaseFactory(queue=queue, queued_at=now - datetime.timedelta(hours=3))
        new_vip = WaitingCaseFactory(queue=vip, queued_at=now - datetime.timedelta(minutes=1))
        newer_general = WaitingCaseFactory(queue=queue, queued_at=now)

        assert assign_waiting_cases() == 2

        assert owner_of(new_vip) == ada
        assert owner_of(old_general) == ada
        assert owner_of(newer_general) is None

    def test_limited_to_the_queues_given(self, queue):
        other = QueueFactory(name="Other", slug="other")
        ada = make_agent(queue, name="Ada")
        other.members.add(ada)
        mine = WaitingCaseFactory(queue=queue)
        theirs = WaitingCaseFactory(queue=other)

        assert assign_waiting_cases(queue_ids=[queue.pk]) == 1
        assert owner_of(mine) == ada
        assert owner_of(theirs) is None

    def test_one_batch_counts_each_case_before_choosing_for_the_next(self, queue):
        ada = make_agent(queue, name="Ada", capacity=3)
        bob = make_agent(queue, name="Bob", capacity=2)
        cases = WaitingCaseFactory.create_batch(7, queue=queue)
        queue_router = SkillFactory(name="Routers")
        CaseRequirementFactory(case=cases[0], skill=queue_router, min_proficiency=1)

        assert assign_waiting_cases(queue_ids=[queue.pk]) == 5

        held = Counter(owner_of(case) for case in cases)
        assert held == {ada: 3, bob: 2, None: 2}
        assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 3
        assert AgentLoad.objects.get(agent=bob, work_kind=WorkKind.CASE).active == 2
        assert {p.agent: p.presence for p in AgentProfile.objects.all()} == {
            ada: Presence.BUSY,
            bob: Presence.BUSY,
        }
        # Highest capacity: 3 left beats 2, then the two alternate, each decision as it saw it.
        lefts = [
            decisions(case, DecisionKind.ASSIGN)[0].explanation["winner"]["why"]
            for case in cases[:5]
        ]
        assert lefts[0] == "most capacity left (3 of 3)"
        assert lefts[1].startswith("most capacity left (2 of ")
        [wait] = decisions(cases[5])
        assert wait.kind == DecisionKind.WAIT
        assert wait.explanation["skipped_counts"] == {"capacity": 2}
        assert decisions(cases[6]) == []  # the queue ran out: the rest is left for later
        assert Offer.objects.filter(status=OfferStatus.OFFERED).count() == 5

    def test_a_batch_costs_the_same_statements_for_one_case_or_many(self, queue):
        agents = [make_agent(queue, name=name, capacity=40) for name in ("Ada", "Bob", "Cy")]
        ensure_loads([agent.pk for agent in agents])

        def statements(cases):
            with CaptureQueriesContext(connection) as ran:
                assert assign_waiting_cases(queue_ids=[queue.pk]) == len(cases)
            return len(ran)

        one = statements(WaitingCaseFactory.create_batch(1, queue=queue))
        thirty = statements(WaitingCaseFactory.create_batch(30, queue=queue))

        assert one == thirty <= 22  # savepoints included

    def test_round_robin_takes_turns_within_a_batch(self, queue):
        QueueRoutingFactory(queue=queue, method=AssignmentMethod.ROUND_ROBIN)
        agents = [make_agent(queue, name=name) for name in ("Ada", "Bob", "Cy")]
        cases = WaitingCaseFactory.create_batch(5, queue=queue)

        assert assign_waiting_cases(queue_ids=[queue.pk]) == 5

        assert [owner_of(case) for case in cases] == [*agents, *agents[:2]]
        assert QueueRouting.objects.get(queue=queue).last_assigned_agent == agents[1]

    def test_a_routed_case_is_assigned_after_commit(
        self, queue, django_capture_on_commit_callbacks
    ):
        ada = make_agent(queue, name="Ada")
        case = WaitingCaseFactory(queue=queue)

        with django_capture_on_commit_callbacks(execute=True):
            publish(CaseRouted(case_id=case.pk, queue_id=queue.pk))

        assert owner_of(case) == ada
        assert Offer.objects.get(case=case).status == OfferStatus.OFFERED

    def test_a_waiting_case_moved_to_another_queue_goes_to_its_agents(
        self, queue, django_capture_on_commit_callbacks
    ):
        make_agent(queue, name="Ada", presence=Presence.AWAY)
        billing = QueueFactory(name="Billing", slug="billing-desk")
        bob = make_agent(billing, name="Bob")
        case = WaitingCaseFactory(queue=queue)
        assert assign_waiting_case(case_id=case.pk) is None

        with django_capture_on_commit_callbacks(execute=True):
            case_services.move_case(case=case, queue=billing, actor=None)

        assert owner_of(case) == bob
        assert [d.queue for d in decisions(case)] == [queue, billing]


class TestOffers:
    def test_accepting_keeps_the_case(self, queue):
        ada = make_agent(queue, name="Ada")
        case = WaitingCaseFactory(queue=queue)
        offer = assign_waiting_case(case_id=case.pk)

        accepted = accept_offer(offer=offer, agent=ada)

        assert accepted.status == OfferStatus.ACCEPTED
        assert accepted.answered_at is not None
        assert owner_of(case) == ada

    def test_only_the_agent_offered_may_answer(self, queue):
        make_agent(queue, name="Ada")
        bob = make_agent(queue, name="Bob", presence=Presence.AWAY)
        offer = assign_waiting_case(case_id=WaitingCaseFactory(queue=queue).pk)

        with pytest.raises(NoOffer):
            accept_offer(offer=offer, agent=bob)
        with pytest.raises(NoOffer):
            decline_offer(offer=offer, agent=bob)

    def test_declined_goes_to_the_next_candidate_until_the_limit_then_waits(
        self, queue, django_capture_on_commit_callbacks
    ):
        ada = make_agent(queue, name="Ada", capacity=3)
        bob = make_agent(queue, name="Bob", capacity=2)
        make_agent(queue, name="Cy", capacity=1)
        QueueRoutingFactory(queue=queue, max_declines=2)
        case = WaitingCaseFactory(queue=queue)
        with django_capture_on_commit_callbacks(execute=True):
            first = assign_waiting_case(case_id=case.pk)
        assert first.agent == ada

        with django_capture_on_commit_callbacks(execute=True):
            decline_offer(offer=first, agent=ada)

        second = Offer.objects.get(case=case, status=OfferStatus.OFFERED)
        assert second.agent == bob
        assert "declined" in {
            s["reason"] for s in decisions(case, DecisionKind.ASSIGN)[-1].explanation["skipped"]
        }

        with django_capture_on_commit_callbacks(execute=True):
            decline_offer(offer=second, agent=bob)

        assert owner_of(case) is None
        assert not Offer.objects.filter(case=case, status=OfferStatus.OFFERED).exists()
        kinds = [d.kind for d in decisions(case)]
        assert kinds == ["assign", "decline", "assign", "decline", "wait"]
        assert decisions(case)[3].summary == "Declined by Bob (2 of 2)"
        assert decisions(case)[4].summary == (
            "Declined 2 times; waits in Support for an agent to pick it"
        )
        assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 0
        assert AgentLoad.objects.get(agent=bob, work_kind=WorkKind.CASE).active == 0
        # The sweep leaves it waiting too, without a second decision.
        assert assign_waiting_cases() == 0
        assert len(decisions(case)) == 5


class TestPick:
    def test_an_agent_picks_a_waiting_case_by_hand(self, queue):
        ada = make_agent(queue, name="Ada", presence=Presence.AWAY, capacity=3)
        case = WaitingCaseFactory(queue=queue)

        pick_case(case=case, agent=ada)

        assert owner_of(case) == ada
        [decision] = decisions(case)
        assert decision.kind == DecisionKind.ASSIGN
        assert decision.summary == "Picked by hand by Ada (3 of 3 left)"
        assert decision.explanation["winner"]["why"] == "picked by hand"
        assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 1

    def test_picking_over_capacity_is_refused(self, queue):
        ada = make_agent(queue, name="Ada", capacity=1)
        set_load(ada, 1)
        case = WaitingCaseFactory(queue=queue)

        with pytest.raises(OverCapacity):
            pick_case(case=case, agent=ada)

        assert owner_of(case) is None
        assert AgentLoad.objects.get(agent=ada, work_kind=WorkKind.CASE).active == 1

    def test_a_case_someone_owns_cannot_be_picked(self, queue):
        ada = make_agent(queue, name="Ada")
        bob = make_agent(queue, name="Bob")
        case = WaitingCaseFactory(queue=queue, owner=bob, queued_at=None)

        with pytest.raises(CaseTaken):
            pick_case(case=case, agent=ada)

    def test_an_agent_without_a_routing_profile_may_pick(self, queue, agent):
        case = WaitingCaseFactory(queue=queue)

        pick_case(case=case, agent=agent)

        assert Case.objects.get(pk=case.pk).owner == agent
        assert AgentProfile.objects.get(agent=agent).presence == Presence.OFFLINE
