"""Reads of the sla app: a case's timers as clocks an agent reads, a case's SLA summary, and
the timers at risk a supervisor watches.

A clock is a timer seen at one instant. Its wall-clock countdown runs to `due_at`, which
already has the business hours and pauses folded in; only a paused timer needs its policy's
calendar, to say how much business time will be left when it resumes. Compiled policies
are cached per version (caseway.sla.policies), so that costs no query once warm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from caseway.cases.models import Case, Queue
from caseway.cases.queries import AnyUser, is_admin, is_agent
from caseway.sla.calendar import NoBusinessHours
from caseway.sla.models import Entitlement, EntitlementTerm, SlaInstance, SlaKpi, SlaStatus
from caseway.sla.policies import load_policy
from caseway.sla.timers import remaining_seconds

# Where running_timers_prefetch() puts a case's running timers, most urgent first.
RUNNING_TIMERS_ATTR = "running_sla_timers"
# The supervisor page lists timers due within this long, besides those nearing or breached.
AT_RISK_WITHIN = timedelta(hours=1)
AT_RISK_LIMIT = 200


@dataclass(frozen=True)
class SlaClock:
    """One SLA timer as an agent reads it at `now`.

    `state` is an SlaStatus value: for a running timer, what it is at `now` (a timer past its
    warning or due time counts as nearing or breached before the sweep has stamped it); for a
    finished one, its stored status. `seconds_left` is wall-clock time to `due_at` (negative
    once overdue), except for a paused timer: then it is the business time left when the
    clock resumes, and `due_at` is stale until then.
    """

    timer_id: int
    case_id: int
    kpi: str
    state: str
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    completed_at: datetime | None
    paused_since: datetime | None
    breached_at: datetime | None
    seconds_left: float
    paused_seconds: float

    @property
    def kpi_label(self) -> str:
        return str(SlaKpi(self.kpi).label)

    @property
    def state_label(self) -> str:
        return str(SlaStatus(self.state).label)

    @property
    def is_running(self) -> bool:
        return self.completed_at is None

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def is_breached(self) -> bool:
        """Past its due time now, or stamped breached before (also while paused)."""
        return self.state == SlaStatus.BREACHED or self.breached_at is not None

    @property
    def is_at_risk(self) -> bool:
        return self.is_running and self.state in (SlaStatus.NEARING, SlaStatus.BREACHED)


def clock_for(timer: SlaInstance, *, now: datetime) -> SlaClock:
    """Read one timer at `now`. A paused timer reads its policy's calendar: select the policy
    with the timer so the cached compiled policy serves it without a query."""
    paused_seconds = timer.paused_seconds
    if timer.completed_at is not None:
        state = timer.status
        seconds_left = (timer.due_at - timer.completed_at).total_seconds()
    elif timer.paused_since is not None:
        state = SlaStatus.PAUSED
        calendar = load_policy(timer.policy).calendar
        try:
            seconds_left = remaining_seconds(timer, calendar, now=now)
            paused_seconds += calendar.between(timer.paused_since, max(now, timer.paused_since))
        except NoBusinessHours:
            seconds_left = timer.target_seconds
    else:
        if timer.breached_at is not None or now >= timer.due_at:
            state = SlaStatus.BREACHED
        elif timer.warned_at is not None or now >= timer.warn_at:
            state = SlaStatus.NEARING
        else:
            state = SlaStatus.IN_PROGRESS
        seconds_left = (timer.due_at - now).total_seconds()
    return SlaClock(
        timer_id=timer.pk,
        case_id=timer.case_id,
        kpi=timer.kpi,
        state=str(state),
        started_at=timer.started_at,
        warn_at=timer.warn_at,
        due_at=timer.due_at,
        completed_at=timer.completed_at,
        paused_since=timer.paused_since,
        breached_at=timer.breached_at,
        seconds_left=seconds_left,
        paused_seconds=paused_seconds,
    )


def _running() -> QuerySet[SlaInstance]:
    return (
        SlaInstance.objects.filter(completed_at__isnull=True)
        .select_related("policy")
        .order_by("due_at", "pk")
    )


def running_timers_prefetch() -> Prefetch[str]:
    """Prefetch each case's running timers, earliest due first, into `running_sla_timers`:
    one query for a page of cases, whatever its size."""
    return Prefetch("sla_instances", queryset=_running(), to_attr=RUNNING_TIMERS_ATTR)


def most_urgent_clock(case: Case, *, now: datetime | None = None) -> SlaClock | None:
    """The case's running timer with the earliest due time, read at `now`; None if no timer
    runs. Reads the timers running_timers_prefetch() loaded, else queries them."""
    now = now or timezone.now()
    running = getattr(case, RUNNING_TIMERS_ATTR, None)
    if running is None:
        running = list(_running().filter(case=case)[:1])
    return clock_for(running[0], now=now) if running else None


def timers_for_cases(
    case_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, SlaClock]:
    """The most urgent running clock of each case that has one, in one query."""
    now = now or timezone.now()
    clocks: dict[int, SlaClock] = {}
    for timer in _running().filter(case_id__in=list(case_ids)):
        if timer.case_id not in clocks:
            clocks[timer.case_id] = clock_for(timer, now=now)
    return clocks


@dataclass(frozen=True)
class EntitlementUsage:
    """The contract a case's SLA came from, and how much of it is left."""

    name: str
    term: str
    total: Decimal
    remaining: Decimal
    is_default: bool
    is_limited: bool
    is_exhausted: bool

    @property
    def counts_hours(self) -> bool:
        return self.term == EntitlementTerm.HOURS

    @classmethod
    def of(cls, entitlement: Entitlement) -> EntitlementUsage:
        return cls(
            name=entitlement.name,
            term=entitlement.term,
            total=entitlement.total,
            remaining=entitlement.remaining,
            is_default=entitlement.is_default,
            is_limited=entitlement.is_limited,
            is_exhausted=entitlement.is_exhausted,
        )


@dataclass(frozen=True)
class SlaSummary:
    """A case's SLA: the policy and contract of its latest timer, and every timer, oldest
    first."""

    policy_name: str
    entitlement: EntitlementUsage | None
    clocks: tuple[SlaClock, ...]

    @property
    def running(self) -> list[SlaClock]:
        return [c for c in self.clocks if c.is_running]


def sla_summary_for_case(case: Case, *, now: datetime | None = None) -> SlaSummary | None:
    """The case's SLA summary in one query; None when no SLA timer ever ran on it.

    The caller has decided the user may see the case.
    """
    now = now or timezone.now()
    timers = list(
        SlaInstance.objects.filter(case_id=case.pk)
        .select_related("policy", "entitlement")
        .order_by("started_at", "pk")
    )
    if not timers:
        return None
    latest = timers[-1]
    return SlaSummary(
        policy_name=latest.policy.name,
        entitlement=EntitlementUsage.of(latest.entitlement) if latest.entitlement else None,
        clocks=tuple(clock_for(t, now=now) for t in timers),
    )


@dataclass(frozen=True)
class CaseAtRisk:
    """A case with a timer nearing breach, breached or due soon: its most urgent such timer,
    and how many other timers of the case are at risk too."""

    case: Case
    clock: SlaClock
    others: int


def timers_at_risk_visible_to(
    user: AnyUser,
    *,
    now: datetime | None = None,
    within: timedelta = AT_RISK_WITHIN,
    limit: int = AT_RISK_LIMIT,
) -> list[CaseAtRisk]:
    """Cases whose running timers are nearing breach or breached, or due within `within`
    (paused timers are not counting down, so only their status counts), in the queues `user`
    works in or supervises and the cases they own (admins: every queue); earliest due first,
    one entry per case. One query.
    """
    now = now or timezone.now()
    timers = _running().filter(
        Q(status__in=[SlaStatus.NEARING, SlaStatus.BREACHED])
        | Q(paused_since__isnull=True, due_at__lte=now + within)
    )
    if not is_admin(user):
        if not is_agent(user):
            return []
        queues = Queue.objects.filter(Q(members=user) | Q(supervisors=user)).values("pk")
        timers = timers.filter(Q(case__queue__in=queues) | Q(case__owner_id=user.pk))
    timers = timers.select_related(
        "case", "case__contact", "case__account", "case__queue", "case__owner"
    )
    by_case: dict[int, CaseAtRisk] = {}
    for timer in timers[:limit]:
        seen = by_case.get(timer.case_id)
        if seen is None:
            by_case[timer.case_id] = CaseAtRisk(
                case=timer.case, clock=clock_for(timer, now=now), others=0
            )
        else:
            by_case[timer.case_id] = CaseAtRisk(seen.case, seen.clock, seen.others + 1)
    return list(by_case.values())
