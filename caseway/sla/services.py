"""Writes of the sla app: choose and start a case's SLA, keep its timers in step with the
case, charge entitlements, and mark policies changed.

Intake calls choose_sla/start_sla for a new case and start_next_response for a customer's
message, inside its transaction. Everything else the case does (replies, status changes,
resolution, reopening) reaches sync_case_sla through the CaseUpdated handler after commit;
sync_case_sla reads the case as it is, so running it late or twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.db import IntegrityError, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.models import Activity, ActivityKind, Case, CaseStatus
from caseway.core import sql
from caseway.customers.models import Account, Contact
from caseway.sla import timers
from caseway.sla.exceptions import EntitlementExhausted
from caseway.sla.models import (
    DecrementOn,
    Entitlement,
    EntitlementCharge,
    EntitlementTerm,
    OnExhausted,
    ReopenRule,
    SlaInstance,
    SlaKpi,
    SlaPolicy,
)
from caseway.sla.policies import CompiledPolicy, load_policy, tier_of

# Timers that start with the case; next response starts with a customer's later message.
OPENING_KPIS = (SlaKpi.FIRST_RESPONSE, SlaKpi.RESOLUTION)
RESPONSE_KPIS = frozenset({SlaKpi.FIRST_RESPONSE, SlaKpi.NEXT_RESPONSE})


@dataclass(frozen=True)
class SlaChoice:
    """The entitlement and policy a new case gets, and what the agent should be told."""

    entitlement: Entitlement | None
    policy: CompiledPolicy | None
    tier: str
    warnings: tuple[str, ...] = field(default=())


def choose_sla(
    *, contact: Contact, channel: str, product: str = "", priority: str, today: date | None = None
) -> SlaChoice:
    """Pick the entitlement that covers a new case: the contact's own contract, then the
    account's, then the default; the first whose channels, products and policy conditions
    match. One precompiled query (intake runs it for every new case); the compiled policy is
    cached per version.

    Raises EntitlementExhausted when that contract is used up and blocks new cases.
    """
    candidates, account_preferred = _current_entitlements(contact, today or timezone.localdate())
    if Contact.account.is_cached(contact) and contact.account is not None:
        account_preferred = contact.account.is_preferred
    tier = tier_of(is_preferred=contact.is_preferred or account_preferred)
    for entitlement in sorted(candidates, key=_precedence):
        if not entitlement.covers(channel=channel, product=product):
            continue
        policy = load_policy(entitlement.policy)
        if not policy.applies_to(channel=channel, priority=priority):
            continue
        if entitlement.is_exhausted:
            if entitlement.on_exhausted == OnExhausted.BLOCK:
                raise EntitlementExhausted(
                    _("The contract %(name)s has no cases or hours left.")
                    % {"name": entitlement.name}
                )
            warning = _("Contract %(name)s is used up; this case was accepted anyway.") % {
                "name": entitlement.name
            }
            return SlaChoice(entitlement, policy, tier, (warning,))
        return SlaChoice(entitlement, policy, tier)
    return SlaChoice(None, None, tier)


@cache
def _entitlements_sql(using: str) -> str:
    account = sql.table(Account, using)
    return (
        f"SELECT {sql.columns(Entitlement, 'e', using)}, {sql.columns(SlaPolicy, 'p', using)}, "  # noqa: S608
        f"(SELECT a.is_preferred FROM {account} a WHERE a.id = %s) "
        f"FROM {sql.table(Entitlement, using)} e "
        f"JOIN {sql.table(SlaPolicy, using)} p ON p.id = e.policy_id "
        "WHERE e.is_active AND e.starts_on <= %s AND (e.ends_on IS NULL OR e.ends_on >= %s) "
        "AND (e.is_default OR e.contact_id = %s OR e.account_id = %s)"
    )


def _current_entitlements(contact: Contact, today: date) -> tuple[list[Entitlement], bool]:
    """The current entitlements that may cover the contact (own, account's, default), each
    with its policy, and whether the contact's account is preferred."""
    using = router.db_for_read(Entitlement)
    day = sql.date_param(today, using)
    params = [contact.account_id, day, day, contact.pk, contact.account_id]
    found, account_preferred = [], False
    for row in sql.fetch_all(_entitlements_sql(using), params, using):
        reader = sql.RowReader(row, using)
        entitlement = reader.load(Entitlement)
        Entitlement.policy.field.set_cached_value(entitlement, reader.load(SlaPolicy))
        account_preferred = bool(row[-1])
        found.append(entitlement)
    return found, account_preferred


def _precedence(entitlement: Entitlement) -> tuple[int, int]:
    """The contact's own contract first, then the account's, then the default; newest first."""
    rank = 0 if entitlement.contact_id else 1 if entitlement.account_id else 2
    return (rank, -entitlement.starts_on.toordinal())


def start_sla(*, case: Case, choice: SlaChoice, at: datetime) -> list[SlaInstance]:
    """Start the first-response and resolution timers of a new case and charge a contract
    that counts cases at creation. Runs inside the caller's transaction."""
    policy, entitlement = choice.policy, choice.entitlement
    started: list[SlaInstance] = []
    if policy is not None:
        for kpi in OPENING_KPIS:
            target = policy.target_for(kpi=kpi, priority=case.priority, tier=choice.tier)
            if target is not None:
                started.append(
                    timers.new_timer(
                        case_id=case.pk,
                        kpi=kpi,
                        target=target,
                        calendar=policy.calendar,
                        policy_id=policy.id,
                        entitlement_id=entitlement.pk if entitlement else None,
                        at=at,
                    )
                )
        if started:
            sql.insert_many(started)
    if (
        entitlement is not None
        and entitlement.term == EntitlementTerm.CASES
        and entitlement.decrement_on == DecrementOn.CREATION
    ):
        _charge(entitlement_id=entitlement.pk, case=case, amount=Decimal(1), at=at)
    for warning in choice.warnings:
        case_services.add_system_event(case=case, text=warning, data={"sla": "entitlement"}, at=at)
    return started


def start_next_response(*, case: Case, at: datetime) -> SlaInstance | None:
    """A customer wrote after an agent's reply: start a next-response timer, unless one runs.

    Runs inside the caller's transaction (intake.receive), the case locked by it.
    """
    latest = (
        SlaInstance.objects.filter(case=case)
        .select_related("policy")
        .order_by("-started_at", "-pk")
        .first()
    )
    if latest is None:
        return None
    policy = load_policy(latest.policy)
    is_preferred = case.contact.is_preferred if Case.contact.is_cached(case) else False
    target = policy.target_for(
        kpi=SlaKpi.NEXT_RESPONSE, priority=case.priority, tier=tier_of(is_preferred=is_preferred)
    )
    if target is None:
        return None
    timer = timers.new_timer(
        case_id=case.pk,
        kpi=SlaKpi.NEXT_RESPONSE,
        target=target,
        calendar=policy.calendar,
        policy_id=policy.id,
        entitlement_id=latest.entitlement_id,
        at=at,
    )
    # At most one running timer per KPI (a partial unique index): a second message while
    # one waits for an answer adds nothing.
    SlaInstance.objects.bulk_create([timer], ignore_conflicts=True)
    return timer


def sync_case_sla(*, case_id: int, now: datetime | None = None) -> list[SlaInstance]:
    """Bring a case's running timers in step with the case: finish those whose event
    happened, pause or resume them with the status, cancel them when the case is cancelled,
    restart them when a resolved case reopens, and charge the contract on resolution.

    Idempotent. Locks the case's running timers (never the case row), so it cannot deadlock
    with the sweep, which takes the same locks in the same order.
    """
    now = now or timezone.now()
    with transaction.atomic():
        running = list(
            SlaInstance.objects.select_for_update(of=("self",))
            .select_related("policy")
            .filter(case_id=case_id, completed_at__isnull=True)
        )
        case = Case.objects.select_related("contact").get(pk=case_id)
        changed = [t for t in running if sync_timer(t, case, load_policy(t.policy), now=now)]
        save_timers(changed)
        restarted = _restart_after_reopen(case, running, now=now)
        if case.status == CaseStatus.RESOLVED:
            _charge_resolution(case)
    return changed + restarted


def sync_timer(timer: SlaInstance, case: Case, policy: CompiledPolicy, *, now: datetime) -> bool:
    """Apply the case's current state to one running timer; True if it changed."""
    calendar = policy.calendar
    changed_at = case.status_changed_at or now
    if case.status == CaseStatus.CANCELLED:
        timers.cancel(timer, at=changed_at)
        return True
    if timer.kpi in RESPONSE_KPIS:
        if case.last_reply_at is not None and case.last_reply_at >= timer.started_at:
            timers.finish(timer, calendar, at=_first_reply_since(case, timer.started_at))
            return True
        if case.status == CaseStatus.RESOLVED:
            timers.cancel(timer, at=changed_at)
            return True
    elif (
        case.status == CaseStatus.RESOLVED
        and case.resolved_at is not None
        and case.resolved_at >= timer.started_at
    ):
        timers.finish(timer, calendar, at=case.resolved_at)
        return True
    is_pausing = case.status in policy.pause_statuses
    if is_pausing and timer.paused_since is None:
        timers.pause(timer, at=changed_at)
        return True
    if not is_pausing and timer.paused_since is not None:
        timers.resume(timer, calendar, at=max(changed_at, timer.paused_since))
        return True
    return False


def _first_reply_since(case: Case, since: datetime) -> datetime:
    """When an agent first answered at or after `since` (a sync may run after later
    replies, so the case's last reply is not the answer)."""
    if case.first_response_at is not None and case.first_response_at >= since:
        return case.first_response_at
    first = (
        Activity.objects.filter(case=case, kind=ActivityKind.MESSAGE_OUT, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return first or case.last_reply_at or since


TIMER_FIELDS = [
    "status",
    "warn_at",
    "due_at",
    "paused_since",
    "paused_seconds",
    "next_action_at",
    "warned_at",
    "breached_at",
    "completed_at",
]


def save_timers(changed: Iterable[SlaInstance]) -> None:
    for timer in changed:
        timer.save(update_fields=TIMER_FIELDS)


def _restart_after_reopen(
    case: Case, running: list[SlaInstance], *, now: datetime
) -> list[SlaInstance]:
    """A resolved or cancelled case came back: start what its policy restarts."""
    if not case.is_open or any(t.kpi == SlaKpi.RESOLUTION for t in running):
        return []
    last = (
        SlaInstance.objects.filter(case=case, kpi=SlaKpi.RESOLUTION)
        .select_related("policy")
        .order_by("-started_at", "-pk")
        .first()
    )
    reopened_at = case.status_changed_at or now
    if last is None or last.completed_at is None or last.completed_at > reopened_at:
        return []
    policy = load_policy(last.policy)
    restarts: dict[str, list[str]] = {
        ReopenRule.RESOLUTION: [SlaKpi.RESOLUTION],
        ReopenRule.RESOLUTION_AND_RESPONSE: [SlaKpi.RESOLUTION, SlaKpi.NEXT_RESPONSE],
    }
    kpis = restarts.get(policy.reopen_restarts, [])
    running_kpis = {t.kpi for t in running}
    tier = tier_of(is_preferred=case.contact.is_preferred)
    restarted = []
    for kpi in kpis:
        target = policy.target_for(kpi=kpi, priority=case.priority, tier=tier)
        if target is None or kpi in running_kpis:
            continue
        restarted.append(
            timers.new_timer(
                case_id=case.pk,
                kpi=kpi,
                target=target,
                calendar=policy.calendar,
                policy_id=policy.id,
                entitlement_id=last.entitlement_id,
                at=reopened_at,
            )
        )
    SlaInstance.objects.bulk_create(restarted, ignore_conflicts=True)
    if restarted:
        case_services.add_system_event(
            case=case,
            text=_("Case reopened: SLA timers restarted (%(kpis)s).")
            % {"kpis": ", ".join(str(SlaKpi(t.kpi).label) for t in restarted)},
            data={"sla": "restarted"},
            at=reopened_at,
        )
    return restarted


def _charge_resolution(case: Case) -> None:
    """Charge the case's contract on resolution, once per case and contract."""
    entitlement_id = (
        SlaInstance.objects.filter(case=case, entitlement__isnull=False)
        .values_list("entitlement_id", flat=True)
        .first()
    )
    if entitlement_id is None:
        return
    entitlement = Entitlement.objects.get(pk=entitlement_id)
    if not entitlement.is_limited or entitlement.decrement_on != DecrementOn.RESOLUTION:
        return
    if entitlement.term == EntitlementTerm.HOURS:
        amount = (Decimal(case.time_spent_minutes) / Decimal(60)).quantize(Decimal("0.01"))
    else:
        amount = Decimal(1)
    _charge(entitlement_id=entitlement.pk, case=case, amount=amount, at=case.resolved_at)


def _charge(*, entitlement_id: int, case: Case, amount: Decimal, at: datetime | None) -> None:
    try:
        with transaction.atomic():
            EntitlementCharge.objects.create(
                entitlement_id=entitlement_id, case=case, amount=amount, at=at or timezone.now()
            )
    except IntegrityError:
        return  # charged before: once per case
    Entitlement.objects.filter(pk=entitlement_id).update(remaining=F("remaining") - amount)


def mark_policies_changed(*, policy_ids: Iterable[int]) -> int:
    """Give policies a new version so every process recompiles them (after an admin edit of
    a policy, its targets, actions or calendar). Running timers keep their targets."""
    return SlaPolicy.objects.filter(pk__in=list(policy_ids)).update(
        version=F("version") + 1, updated_at=timezone.now()
    )


def policies_using_calendar(calendar_id: int) -> list[int]:
    return list(SlaPolicy.objects.filter(calendar_id=calendar_id).values_list("pk", flat=True))
