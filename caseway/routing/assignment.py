"""Assignment: a waiting case to a present, qualified agent with capacity, by the queue's
method (offers.py: accepting, declining, picking by hand).

Every outcome is a RoutingDecision whose explanation lists the candidates with their scores,
why the others were skipped and why the winner won. Lock order: case row, queue routing row
(round robin only), agent profile row, load row; one load row at a time (presence.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.models import OPEN_STATUSES, Case, Queue
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    AssignmentMethod,
    CaseRequirement,
    DecisionKind,
    Offer,
    OfferStatus,
    Presence,
    QueueRouting,
    RoutingDecision,
)
from caseway.routing.presence import (
    display_name,
    ensure_loads,
    load_used,
    mark_auto_busy,
    restore_all_auto_busy,
    take_capacity,
)
from caseway.routing.queries import (
    capacities,
    latest_decision,
    local_day,
    used_units,
    working_calendars,
)
from caseway.routing.ranking import (
    Candidate,
    QueueMethod,
    assign_summary,
    match_skills,
    order_candidates,
    skip_entry,
    why_won,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# How many candidates and skipped agents an explanation lists by name (the rest are counted).
SHOWN = 25


@dataclass
class Outcome:
    offer: Offer | None
    queue_exhausted: bool = False  # nobody in the queue can take any case now


class _Lost(Exception):
    """Another assigner got there first (presence changed or capacity taken)."""


class _MissingLoads(Exception):
    """Some candidates have no load row yet: make them outside the transaction, try again."""

    def __init__(self, agent_ids: list[int]) -> None:
        super().__init__(agent_ids)
        self.agent_ids = agent_ids


def queue_method(queue_id: int, *, lock: bool = False) -> QueueMethod:
    """How the queue assigns."""
    rows = QueueRouting.objects.filter(queue_id=queue_id)
    return method_of((rows.select_for_update() if lock else rows).first())


def method_of(routing: QueueRouting | None) -> QueueMethod:
    if routing is None:
        return QueueMethod()
    return QueueMethod(
        method=routing.method,
        work_kind=routing.work_kind,
        max_declines=routing.max_declines,
        last_assigned_agent_id=routing.last_assigned_agent_id,
    )


def record_decision(
    case: Case,
    kind: str,
    summary: str,
    explanation: dict[str, Any],
    now: datetime,
    agent_id: int | None = None,
) -> RoutingDecision:
    return RoutingDecision.objects.create(
        case=case,
        kind=kind,
        queue_id=case.queue_id,
        agent_id=agent_id,
        summary=summary[:300],
        explanation=explanation,
        created_at=now,
    )


def _wait(case: Case, summary: str, explanation: dict[str, Any], now: datetime) -> None:
    """Record that the case waits, unless its latest decision says exactly that already."""
    explanation = json.loads(json.dumps(explanation))  # as it reads back from the database
    known_kind = getattr(case, "latest_decision_kind", DecisionKind.WAIT)  # see _locked_case
    latest = latest_decision(case.pk) if known_kind == DecisionKind.WAIT else None
    if (
        latest is not None
        and latest.kind == DecisionKind.WAIT
        and latest.queue_id == case.queue_id
        and latest.summary == summary[:300]
        and latest.explanation == explanation
    ):
        return
    record_decision(case, DecisionKind.WAIT, summary, explanation, now)


def wait_declined(case: Case, declines: int, max_declines: int, now: datetime) -> None:
    _wait(
        case,
        _("Declined %(n)d times; waits in %(queue)s for an agent to pick it")
        % {"n": declines, "queue": case.queue.name},
        {"reason": "max_declines", "declines": declines, "max_declines": max_declines},
        now,
    )


def _present(
    queue_id: int,
) -> tuple[list[tuple[User, AgentProfile]], list[dict[str, Any]]]:
    """The queue's members who are agents and available, and the others with why."""
    members = (
        get_user_model()
        .objects.filter(case_queues=queue_id)
        .select_related("routing_profile__working_hours")
        .order_by("pk")
    )
    skipped: list[dict[str, Any]] = []
    present: list[tuple[User, AgentProfile]] = []
    for user in members:
        profile: AgentProfile | None = getattr(user, "routing_profile", None)
        if not (user.is_active and user.is_staff):
            skipped.append(skip_entry(user, "not_agent"))
        elif profile is None or profile.presence != Presence.AVAILABLE:
            skipped.append(skip_entry(user, "presence", profile.presence if profile else "offline"))
        else:
            present.append((user, profile))
    return present, skipped


def _candidates(
    present: list[tuple[User, AgentProfile]],
    skipped: list[dict[str, Any]],
    method: QueueMethod,
    declined: set[int],
    now: datetime,
) -> tuple[list[Candidate], bool]:
    """Those present who could take the case now (the others go to `skipped` with why), and
    whether anyone at all (decliners included) is within hours and has room."""
    calendars = working_calendars({p.working_hours_id for _u, p in present if p.working_hours_id})
    ids = [user.pk for user, _p in present]
    loads = _loads(ids, method.work_kind)
    if missing := [agent_id for agent_id in ids if agent_id not in loads]:
        raise _MissingLoads(missing)
    capacity = capacities(ids, method.work_kind)
    pool: list[Candidate] = []
    anyone = False
    for user, profile in present:
        calendar = calendars.get(profile.working_hours_id or 0)
        if calendar is not None and not calendar.is_open(now):
            name = profile.working_hours.name if profile.working_hours else ""
            skipped.append(skip_entry(user, "hours", name))
            continue
        tz = profile.working_hours.timezone if profile.working_hours else None
        today = local_day(now, tz)
        active, assigned_today, day = loads.get(user.pk, (0, 0, None))
        cap = capacity[user.pk]
        used = used_units(
            active=active, assigned_today=assigned_today, day=day, capacity=cap, today=today
        )
        if used >= cap.max_units:
            skipped.append(skip_entry(user, "capacity", f"{used} of {cap.max_units}"))
            continue
        anyone = True
        if user.pk in declined:
            skipped.append(skip_entry(user, "declined"))
            continue
        pool.append(Candidate(user, profile, cap, today, used, active))
    return pool, anyone


def _loads(agent_ids: list[int], work_kind: str) -> dict[int, tuple[int, int, date | None]]:
    return {
        agent_id: (active, assigned_today, day)
        for agent_id, active, assigned_today, day in AgentLoad.objects.filter(
            agent_id__in=agent_ids, work_kind=work_kind
        ).values_list("agent_id", "active", "assigned_today", "day")
    }


def _try(candidate: Candidate, work_kind: str) -> None:
    """Take a unit of the candidate's capacity, or raise _Lost; in a savepoint, so a loser's
    row locks are let go at once."""
    with transaction.atomic():
        presence = (
            AgentProfile.objects.select_for_update()
            .filter(pk=candidate.profile.pk)
            .values_list("presence", flat=True)
            .first()
        )
        if presence != Presence.AVAILABLE:
            raise _Lost(f"presence {presence}")
        if not take_capacity(
            agent_id=candidate.user.pk,
            work_kind=work_kind,
            capacity=candidate.capacity,
            today=candidate.today,
        ):
            raise _Lost("capacity full")


def _locked_case(case_id: int, *, skip_locked: bool) -> Case | None:
    """The case, locked, with its queue and the queue's routing, how often it was declined
    and the kind of its latest decision: one statement on the hot path of every new case."""
    declines = (
        Offer.objects.filter(case_id=OuterRef("pk"), status=OfferStatus.DECLINED)
        .order_by()
        .values("case_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    latest = (
        RoutingDecision.objects.filter(case_id=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("kind")[:1]
    )
    return (
        Case.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("queue__routing")
        .annotate(
            decline_count=Coalesce(Subquery(declines), 0),
            latest_decision_kind=Subquery(latest),
        )
        .filter(pk=case_id)
        .first()
    )


def _assign(case_id: int, now: datetime, *, skip_locked: bool) -> Outcome:
    try:
        return _assign_locked(case_id, now, skip_locked=skip_locked)
    except _MissingLoads as missing:
        # Agents whose profile was made without set_presence(); once per agent.
        ensure_loads(missing.agent_ids)
        return _assign_locked(case_id, now, skip_locked=skip_locked)


def _assign_locked(case_id: int, now: datetime, *, skip_locked: bool) -> Outcome:
    with transaction.atomic():
        case = _locked_case(case_id, skip_locked=skip_locked)
        if case is None or case.owner_id is not None or not case.is_open:
            return Outcome(None)
        method = method_of(getattr(case.queue, "routing", None))
        if method.method == AssignmentMethod.ROUND_ROBIN:
            method = queue_method(case.queue_id, lock=True)
        if method.method == AssignmentMethod.MANUAL:
            summary = _("%(queue)s is worked by hand; waits in queue") % {"queue": case.queue.name}
            _wait(case, summary, {"method": method.method}, now)
            return Outcome(None, queue_exhausted=True)
        declines: int = case.decline_count  # type: ignore[attr-defined]
        if method.max_declines and declines >= method.max_declines:
            wait_declined(case, declines, method.max_declines, now)
            return Outcome(None)
        present, skipped = _present(case.queue_id)
        declined = set(
            Offer.objects.filter(case_id=case.pk, status=OfferStatus.DECLINED).values_list(
                "agent_id", flat=True
            )
            if declines and present
            else ()
        )
        pool, anyone = _candidates(present, skipped, method, declined, now)
        requirements = (
            list(
                CaseRequirement.objects.filter(case_id=case.pk)
                .order_by("skill_id")
                .values_list("skill_id", "skill__name", "min_proficiency")
            )
            if pool
            else []
        )
        pool, mode = match_skills(pool, requirements, skipped)
        ordered = order_candidates(pool, method)
        explanation: dict[str, Any] = {
            "method": method.method,
            "work_kind": method.work_kind,
            "skill_mode": mode,
            "requirements": [
                {"skill_id": skill_id, "skill": name, "min_proficiency": level}
                for skill_id, name, level in requirements
            ],
            "candidates": [c.describe() for c in ordered[:SHOWN]],
            "candidates_total": len(ordered),
            "skipped": skipped[:SHOWN],
            "skipped_total": len(skipped),
            "skipped_counts": dict(Counter(s["reason"] for s in skipped)),
        }
        attempts = []
        winner = None
        for candidate in ordered:
            try:
                _try(candidate, method.work_kind)
            except _Lost as lost:
                attempts.append({"agent_id": candidate.user.pk, "lost": str(lost)})
                continue
            winner = candidate
            break
        if attempts:
            explanation["attempts"] = attempts
        if winner is None:
            summary = _("No available agent with capacity in %(queue)s; waits in queue") % {
                "queue": case.queue.name
            }
            _wait(case, summary, explanation, now)
            return Outcome(None, queue_exhausted=not anyone)
        last = ""
        if method.last_assigned_agent_id:
            last_user = get_user_model().objects.filter(pk=method.last_assigned_agent_id).first()
            last = display_name(last_user) if last_user else ""
        explanation["winner"] = {
            "agent_id": winner.user.pk,
            "name": winner.name,
            "why": why_won(winner, ordered, method, last),
        }
        offer = _give(case, winner, method, now)
        summary = assign_summary(winner, method, last, mode)
        record_decision(
            case, DecisionKind.ASSIGN, summary, explanation, now, agent_id=winner.user.pk
        )
        return Outcome(offer)


def _give(case: Case, winner: Candidate, method: QueueMethod, now: datetime) -> Offer:
    """Hand the case to the winner, whose capacity is taken: offer, owner, idle clock,
    busy at full capacity, the queue's turn."""
    used = load_used(
        agent_id=winner.user.pk,
        work_kind=method.work_kind,
        capacity=winner.capacity,
        today=winner.today,
    )
    Offer.objects.filter(case_id=case.pk, status=OfferStatus.OFFERED).update(
        status=OfferStatus.WITHDRAWN, answered_at=now
    )
    offer = Offer.objects.create(case=case, agent=winner.user, offered_at=now)
    case_services.assign_case(case=case, owner=winner.user, actor=None)
    AgentProfile.objects.filter(pk=winner.profile.pk).update(last_assigned_at=now)
    if used >= winner.capacity.max_units:
        mark_auto_busy(profile_id=winner.profile.pk, agent_id=winner.user.pk)
    if method.method == AssignmentMethod.ROUND_ROBIN:
        QueueRouting.objects.filter(queue_id=case.queue_id).update(
            last_assigned_agent_id=winner.user.pk
        )
    return offer


def assign_waiting_case(*, case_id: int, now: datetime | None = None) -> Offer | None:
    """Give a waiting case to the best candidate of its queue, or record why it waits.

    Returns the offer made, or None (owned already, closed, or nobody could take it).
    """
    return _assign(case_id, now or timezone.now(), skip_locked=False).offer


def assign_waiting_cases(
    *, queue_ids: list[int] | None = None, limit: int = 200, now: datetime | None = None
) -> int:
    """Try to assign up to `limit` waiting cases, queues by priority (highest first), each
    oldest waiting first; return how many were assigned.

    Cases another process is assigning are skipped; a queue whose members are all away,
    off hours or full is left after its first case. Without `queue_ids` (the sweep) agents
    whose daily capacity came back are made available first.
    """
    now = now or timezone.now()
    if queue_ids is None:
        restore_all_auto_busy(now=now)
        queue_ids = list(Queue.objects.values_list("pk", flat=True))
    priorities = dict(
        QueueRouting.objects.filter(queue_id__in=queue_ids).values_list("queue_id", "priority")
    )
    levels: dict[int, list[int]] = {}
    for queue_id in queue_ids:
        levels.setdefault(priorities.get(queue_id, 0), []).append(queue_id)
    assigned = 0
    remaining = limit
    for level in sorted(levels, reverse=True):
        if remaining <= 0:
            break
        waiting = list(
            Case.objects.filter(
                queue_id__in=levels[level],
                owner__isnull=True,
                queued_at__isnull=False,
                status__in=OPEN_STATUSES,
            )
            .order_by("queued_at", "pk")
            .values_list("pk", "queue_id")[:remaining]
        )
        remaining -= len(waiting)
        exhausted: set[int] = set()
        for case_id, queue_id in waiting:
            if queue_id in exhausted:
                continue
            outcome = _assign(case_id, now, skip_locked=True)
            if outcome.offer is not None:
                assigned += 1
            elif outcome.queue_exhausted:
                exhausted.add(queue_id)
    return assigned
