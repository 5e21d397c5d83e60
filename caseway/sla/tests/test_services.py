"""Entitlement choice, timers through a case's life, pauses, reopening and charges."""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest

from caseway.cases.models import ActivityKind, Case, CaseStatus
from caseway.cases.services import change_status, log_time, record_reply
from caseway.customers.tests.factories import ContactFactory, IdentityFactory
from caseway.intake.exceptions import MessageRejected
from caseway.intake.models import InboundRecord, InboundStatus
from caseway.intake.services import receive
from caseway.sla.models import (
    DecrementOn,
    Entitlement,
    EntitlementCharge,
    EntitlementTerm,
    OnExhausted,
    ReopenRule,
    SlaInstance,
    SlaKpi,
    SlaStatus,
    SlaTarget,
)
from caseway.sla.policies import load_policy
from caseway.sla.services import sync_case_sla
from caseway.sla.tests.factories import (
    BusinessCalendarFactory,
    EntitlementFactory,
    SlaPolicyFactory,
    add_targets,
)


def timers_of(case):
    return {t.kpi: t for t in SlaInstance.objects.filter(case=case, completed_at__isnull=True)}


@pytest.fixture
def premium(db):
    """A 24x7 policy: first response in 60 minutes, next response 30, resolution 8 hours."""
    policy = SlaPolicyFactory(name="Premium")
    return add_targets(policy, first_response=60, next_response=30, resolution=480)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run after-commit handlers (the SLA sync) as the transaction would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


class TestChoosingTheSla:
    def test_customer_without_contract_gets_the_default_policy(self, make_message, db):
        case = receive(make_message(email="nobody@example.com")).case
        timers = timers_of(case)
        assert set(timers) == {SlaKpi.FIRST_RESPONSE, SlaKpi.RESOLUTION}
        first = timers[SlaKpi.FIRST_RESPONSE]
        assert first.policy.name == "Standard support"
        assert first.entitlement.is_default
        calendar = load_policy(first.policy).calendar
        assert first.due_at == calendar.add(first.started_at, 8 * 3600)  # normal priority
        assert first.status == SlaStatus.IN_PROGRESS
        assert first.next_action_at == first.warn_at < first.due_at

    def test_account_contract_gives_its_policy(self, make_message, customer, premium):
        EntitlementFactory(account=customer.account, policy=premium)
        first = timers_of(receive(make_message()).case)[SlaKpi.FIRST_RESPONSE]
        assert first.policy == premium
        assert first.due_at - first.started_at == timedelta(minutes=60)  # 24x7

    def test_contact_contract_beats_the_account_contract(self, make_message, customer, premium):
        EntitlementFactory(account=customer.account, policy=premium)
        own = add_targets(SlaPolicyFactory(name="Personal"), first_response=15)
        EntitlementFactory(contact=customer, policy=own)
        first = timers_of(receive(make_message()).case)[SlaKpi.FIRST_RESPONSE]
        assert first.policy == own

    def test_expired_or_inactive_contract_falls_back_to_default(
        self, make_message, customer, premium
    ):
        EntitlementFactory(
            account=customer.account, policy=premium, ends_on=datetime.date(2021, 1, 1)
        )
        EntitlementFactory(account=customer.account, policy=premium, is_active=False)
        first = timers_of(receive(make_message()).case)[SlaKpi.FIRST_RESPONSE]
        assert first.policy.name == "Standard support"

    def test_contract_for_other_channels_does_not_cover(self, make_message, customer, premium):
        EntitlementFactory(account=customer.account, policy=premium, channels=["phone"])
        first = timers_of(receive(make_message()).case)[SlaKpi.FIRST_RESPONSE]
        assert first.policy.name == "Standard support"

    def test_contract_for_a_product(self, make_message, customer, premium):
        EntitlementFactory(account=customer.account, policy=premium, products=["Router X"])
        covered = receive(make_message(meta={"product": "Router X"})).case
        other = receive(make_message(meta={"product": "Toaster"})).case
        assert covered.product == "Router X"
        assert timers_of(covered)[SlaKpi.FIRST_RESPONSE].policy == premium
        assert timers_of(other)[SlaKpi.FIRST_RESPONSE].policy.name == "Standard support"

    def test_preferred_customers_get_their_tier_target(self, make_message, customer, premium):
        SlaTarget.objects.filter(policy=premium, kpi=SlaKpi.FIRST_RESPONSE).update(tier="standard")
        SlaTarget.objects.create(
            policy=premium, kpi=SlaKpi.FIRST_RESPONSE, tier="preferred", target_minutes=20
        )
        EntitlementFactory(account=customer.account, policy=premium)
        stranger = ContactFactory(account=customer.account, is_preferred=False)
        IdentityFactory(contact=stranger, kind="email", address="plain@globex.test")
        customer.account.is_preferred = False
        customer.account.save()

        plain = timers_of(receive(make_message(email="plain@globex.test")).case)
        assert plain[SlaKpi.FIRST_RESPONSE].target_seconds == 60 * 60
        customer.account.is_preferred = True
        customer.account.save()
        vip = timers_of(receive(make_message(email="plain@globex.test")).case)
        assert vip[SlaKpi.FIRST_RESPONSE].target_seconds == 20 * 60

    def test_policy_conditions_limit_where_it_applies(self, make_message, customer, premium):
        premium.channels = ["phone"]
        premium.save()
        EntitlementFactory(account=customer.account, policy=premium)
        first = timers_of(receive(make_message()).case)[SlaKpi.FIRST_RESPONSE]
        assert first.policy.name == "Standard support"


class TestEntitlementTerms:
    def test_cases_are_counted_at_creation_once(self, make_message, customer, premium):
        contract = EntitlementFactory(
            account=customer.account, policy=premium, term=EntitlementTerm.CASES,
            total=3, remaining=3, decrement_on=DecrementOn.CREATION,
        )  # fmt: skip
        msg = make_message()
        receive(msg)
        receive(msg)  # a replay is not a new case
        receive(make_message())
        contract.refresh_from_db()
        assert contract.remaining == Decimal(1)
        assert EntitlementCharge.objects.filter(entitlement=contract).count() == 2

    def test_used_up_contract_that_blocks_refuses_new_cases(self, make_message, customer, premium):
        EntitlementFactory(
            name="Gold", account=customer.account, policy=premium, term=EntitlementTerm.CASES,
            total=1, remaining=0, on_exhausted=OnExhausted.BLOCK,
        )  # fmt: skip
        msg = make_message()
        with pytest.raises(MessageRejected, match="Gold"):
            receive(msg)
        assert not Case.objects.exists()
        record = InboundRecord.objects.get(provider_id=msg.provider_id)
        assert record.status == InboundStatus.FAILED  # kept, can be received again later

    def test_used_up_contract_that_warns_accepts_and_tells_the_agent(
        self, make_message, customer, premium
    ):
        EntitlementFactory(
            name="Silver", account=customer.account, policy=premium, term=EntitlementTerm.CASES,
            total=1, remaining=0, on_exhausted=OnExhausted.WARN,
        )  # fmt: skip
        case = receive(make_message()).case
        event = case.activities.get(kind=ActivityKind.SLA)
        assert "Silver" in event.text and not event.is_public
        assert timers_of(case)[SlaKpi.FIRST_RESPONSE].policy == premium

    def test_hours_are_charged_at_resolution_from_time_logged(
        self, make_message, customer, premium, agent, on_commit
    ):
        contract = EntitlementFactory(
            account=customer.account, policy=premium, term=EntitlementTerm.HOURS,
            total=10, remaining=10, decrement_on=DecrementOn.RESOLUTION,
        )  # fmt: skip
        case = receive(make_message()).case
        log_time(case=case, agent=agent, minutes=90)
        on_commit(change_status, case=case, status=CaseStatus.RESOLVED, actor=agent)
        contract.refresh_from_db()
        assert contract.remaining == Decimal("8.50")
        # Reopened and resolved again: charged once per case.
        on_commit(change_status, case=case, status=CaseStatus.ACTIVE, actor=agent)
        on_commit(change_status, case=case, status=CaseStatus.RESOLVED, actor=agent)
        contract.refresh_from_db()
        assert contract.remaining == Decimal("8.50")


class TestTimersFollowTheCase:
    @pytest.fixture
    def case(self, make_message, customer, premium):
        EntitlementFactory(account=customer.account, policy=premium)
        return receive(make_message()).case

    def test_first_agent_reply_meets_first_response(self, case, agent, on_commit):
        on_commit(record_reply, case=case, agent=agent, text="On it")
        first = SlaInstance.objects.get(case=case, kpi=SlaKpi.FIRST_RESPONSE)
        assert first.status == SlaStatus.SUCCEEDED
        assert first.completed_at is not None and first.next_action_at is None
        assert timers_of(case).keys() == {SlaKpi.RESOLUTION}

    def test_a_late_reply_is_recorded_as_breached(self, case, agent, on_commit):
        first = SlaInstance.objects.get(case=case, kpi=SlaKpi.FIRST_RESPONSE)
        SlaInstance.objects.filter(pk=first.pk).update(
            started_at=first.started_at - timedelta(hours=2),
            due_at=first.due_at - timedelta(hours=2),
        )
        on_commit(record_reply, case=case, agent=agent, text="Sorry for the wait")
        first.refresh_from_db()
        assert first.status == SlaStatus.BREACHED and first.completed_at is not None

    def test_waiting_on_customer_pauses_and_resuming_pushes_the_due_time(self, case, agent):
        first = timers_of(case)[SlaKpi.FIRST_RESPONSE]
        start = first.started_at
        # The case waited on the customer from minute 10 to minute 40.
        change_status(case=case, status=CaseStatus.WAITING, actor=agent)
        Case.objects.filter(pk=case.pk).update(status_changed_at=start + timedelta(minutes=10))
        sync_case_sla(case_id=case.pk, now=start + timedelta(minutes=11))
        first.refresh_from_db()
        assert first.status == SlaStatus.PAUSED and first.next_action_at is None

        change_status(case=case, status=CaseStatus.ACTIVE, actor=agent)
        Case.objects.filter(pk=case.pk).update(status_changed_at=start + timedelta(minutes=40))
        sync_case_sla(case_id=case.pk, now=start + timedelta(minutes=41))
        first.refresh_from_db()
        assert first.status == SlaStatus.IN_PROGRESS and first.paused_since is None
        assert first.paused_seconds == 30 * 60
        assert first.due_at == start + timedelta(minutes=90)
        assert first.next_action_at == start + timedelta(minutes=80)  # warn 10 min before

    def test_paused_business_time_counts_on_the_calendar(self, make_message, customer):
        calendar = BusinessCalendarFactory(timezone="UTC")
        policy = add_targets(SlaPolicyFactory(calendar=calendar), resolution=120)
        EntitlementFactory(contact=customer, policy=policy)
        case = receive(make_message()).case
        timer = timers_of(case)[SlaKpi.RESOLUTION]
        monday_9 = datetime.datetime(2026, 11, 16, 9, tzinfo=datetime.UTC)
        SlaInstance.objects.filter(pk=timer.pk).update(started_at=monday_9)
        # Paused from Monday 16:00 to Tuesday 10:00: 2 business hours.
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.ON_HOLD, status_changed_at=monday_9 + timedelta(hours=7)
        )
        sync_case_sla(case_id=case.pk)
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.ACTIVE, status_changed_at=monday_9 + timedelta(hours=25)
        )
        sync_case_sla(case_id=case.pk)
        timer.refresh_from_db()
        assert timer.paused_seconds == 2 * 3600
        assert timer.due_at == monday_9 + timedelta(hours=4)  # 09:00 + 2 h + 2 h paused

    def test_policy_may_keep_the_clock_running_on_hold(self, case, agent, premium, on_commit):
        premium.pause_when_on_hold = False
        premium.save()
        on_commit(change_status, case=case, status=CaseStatus.ON_HOLD, actor=agent)
        assert all(t.paused_since is None for t in timers_of(case).values())

    def test_customer_answer_starts_next_response_once(self, case, agent, make_message, on_commit):
        on_commit(record_reply, case=case, agent=agent, text="Which model?")
        on_commit(receive, make_message(case_reference=case.number, text="Model X"))
        on_commit(receive, make_message(case_reference=case.number, text="Also Y"))
        running = SlaInstance.objects.filter(case=case, kpi=SlaKpi.NEXT_RESPONSE)
        assert running.count() == 1
        assert running.get().due_at - running.get().started_at == timedelta(minutes=30)
        on_commit(record_reply, case=case, agent=agent, text="Thanks")
        assert running.get().status == SlaStatus.SUCCEEDED

    def test_resolving_meets_resolution_and_cancels_unanswered_response(
        self, case, agent, on_commit
    ):
        on_commit(change_status, case=case, status=CaseStatus.RESOLVED, actor=agent)
        statuses = dict(SlaInstance.objects.filter(case=case).values_list("kpi", "status"))
        assert statuses == {
            SlaKpi.FIRST_RESPONSE: SlaStatus.CANCELLED,
            SlaKpi.RESOLUTION: SlaStatus.SUCCEEDED,
        }

    def test_cancelling_cancels_every_timer(self, case, agent, on_commit):
        on_commit(change_status, case=case, status=CaseStatus.CANCELLED, actor=agent)
        assert set(SlaInstance.objects.filter(case=case).values_list("status", flat=True)) == {
            SlaStatus.CANCELLED
        }

    def test_reopening_restarts_what_the_policy_says(
        self, case, agent, premium, make_message, on_commit
    ):
        premium.reopen_restarts = ReopenRule.RESOLUTION_AND_RESPONSE
        premium.save()
        on_commit(record_reply, case=case, agent=agent, text="Fixed", status=CaseStatus.RESOLVED)
        on_commit(receive, make_message(case_reference=case.number, text="Broken again"))
        case.refresh_from_db()
        assert case.status == CaseStatus.ACTIVE
        running = timers_of(case)
        assert set(running) == {SlaKpi.RESOLUTION, SlaKpi.NEXT_RESPONSE}
        assert running[SlaKpi.RESOLUTION].started_at == case.status_changed_at
        assert case.activities.filter(kind=ActivityKind.SLA, text__contains="restarted").exists()

    def test_reopening_restarts_nothing_when_the_policy_says_so(
        self, case, agent, premium, on_commit
    ):
        premium.reopen_restarts = ReopenRule.NOTHING
        premium.save()
        on_commit(change_status, case=case, status=CaseStatus.RESOLVED, actor=agent)
        on_commit(change_status, case=case, status=CaseStatus.ACTIVE, actor=agent)
        assert timers_of(case) == {}

    def test_sync_twice_changes_nothing(self, case, agent, on_commit):
        on_commit(change_status, case=case, status=CaseStatus.WAITING, actor=agent)
        before = list(SlaInstance.objects.filter(case=case).values())
        assert sync_case_sla(case_id=case.pk) == []
        assert list(SlaInstance.objects.filter(case=case).values()) == before


def test_default_entitlement_exists_and_is_unique(db):
    default = Entitlement.objects.get(is_default=True)
    assert default.policy.targets.count() == 12
    assert default.term == EntitlementTerm.UNLIMITED


def test_a_late_sync_finishes_response_at_the_first_reply(make_message, customer, agent):
    case = receive(make_message()).case
    first = record_reply(case=case, agent=agent, text="One")
    record_reply(case=case, agent=agent, text="Two")  # the sync after commit never ran
    sync_case_sla(case_id=case.pk)
    timer = SlaInstance.objects.get(case=case, kpi=SlaKpi.FIRST_RESPONSE)
    assert timer.completed_at == first.created_at
