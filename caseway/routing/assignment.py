"""Assignment: a waiting case to a present, qualified agent with capacity, by the queue's
method (offers.py: accepting, declining, picking by hand).

Cases are assigned in batches of one queue's waiting cases, one transaction each (a new case
is a batch of one): the cases are locked, the queue's pool is read once and locked
(pool.py), every case is planned in memory as if the ones before it had been written, and
the outcome is written in a fixed number of statements. Every outcome is a RoutingDecision
whose explanation lists the candidates with their scores, why the others were skipped and
why the winner won. Lock order: case rows, queue routing row (round robin only), profile
rows by agent, load rows by agent.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases.bulk import Handout, hand_out
from caseway.cases.models import OPEN_STATUSES, Case, Queue
from caseway.core import sql
from caseway.routing.models import (
    AgentProfile,
    AssignmentMethod,
    CaseRequirement,
    DecisionKind,
    Offer,
    OfferStatus,
    QueueRouting,
    RoutingDecision,
)
from caseway.routing.pool import MissingLoads, Pool, lock_pool
from caseway.routing.presence import display_name, ensure_loads, mark_full_busy, set_loads
from caseway.routing.queries import latest_decision
from caseway.routing.ranking import (
    Candidate,
    QueueMethod,
    Skip,
    assign_summary,
    match_skills,
    order_candidates,
    skill_levels,
    skip_entry,
    why_won,
)

# How many candidates and skipped agents an explanation lists by name (the rest are counted).
SHOWN = 10
# How many waiting cases of one queue the sweep assigns in one transaction.
BATCH = 200


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


def _decision(
    case_id: int,
    queue_id: int | None,
    kind: str,
    summary: str,
    explanation: dict[str, Any],
    now: datetime,
    agent_id: int | None = None,
) -> RoutingDecision:
    return RoutingDecision(
        case_id=case_id,
        kind=kind,
        queue_id=queue_id,
        agent_id=agent_id,
        summary=summary[:300],
        explanation=explanation,
        created_at=now,
    )


def record_decision(
    case: Case,
    kind: str,
    summary: str,
    explanation: dict[str, Any],
    now: datetime,
    agent_id: int | None = None,
) -> RoutingDecision:
    decision = _decision(case.pk, case.queue_id, kind, summary, explanation, now, agent_id)
    decision.save(force_insert=True)
    return decision


def _wait(
    case_id: int, queue_id: int, summary: str, explanation: dict[str, Any], now: datetime
) -> None:
    """Record that the case waits, unless its latest decision says exactly that already."""
    explanation = json.loads(json.dumps(explanation))  # as it reads back from the database
    latest = latest_decision(case_id)
    if (
        latest is not None
        and latest.kind == DecisionKind.WAIT
        and latest.queue_id == queue_id
        and latest.summary == summary[:300]
        and latest.explanation == explanation
    ):
        return
    _decision(case_id, queue_id, DecisionKind.WAIT, summary, explanation, now).save(
        force_insert=True
    )


def wait_declined(
    *, case_id: int, queue: Queue, declines: int, max_declines: int, now: datetime
) -> None:
    _wait(
        case_id,
        queue.pk,
        _("Declined %(n)d times; waits in %(queue)s for an agent to pick it")
        % {"n": declines, "queue": queue.name},
        {"reason": "max_declines", "declines": declines, "max_declines": max_declines},
        now,
    )


@dataclass
class _Waiting:
    """A waiting case of the batch, locked: who declined it, whether an offer is open."""

    case_id: int
    declined: list[int] = field(default_factory=list)  # one entry per declined offer
    has_open_offer: bool = False


def _lock_waiting(
    case_ids: list[int], *, queue_id: int | None, skip_locked: bool
) -> tuple[Queue | None, list[_Waiting]]:
    """Lock the cases that still wait (unowned and open), oldest waiting first, and read
    their queue (the first case's, when `queue_id` is None) and their offers."""
    rows = Case.objects.select_for_update(skip_locked=skip_locked).filter(
        pk__in=case_ids, owner__isnull=True, status__in=OPEN_STATUSES
    )
    if queue_id is not None:
        rows = rows.filter(queue_id=queue_id)
    locked = list(
        rows.order_by(F("queued_at").asc(nulls_first=True), "pk").values_list("pk", "queue_id")
    )
    if not locked:
        return None, []
    queue_id = locked[0][1]
    queue = Queue.objects.select_related("routing").get(pk=queue_id)
    waiting = {pk: _Waiting(pk) for pk, in_queue in locked if in_queue == queue_id}
    for case_id, agent_id, status in Offer.objects.filter(
        case_id__in=list(waiting), status__in=[OfferStatus.DECLINED, OfferStatus.OFFERED]
    ).values_list("case_id", "agent_id", "status"):
        if status == OfferStatus.DECLINED:
            waiting[case_id].declined.append(agent_id)
        else:
            waiting[case_id].has_open_offer = True
    return queue, list(waiting.values())


@dataclass
class _Plan:
    """What one case of the batch gets: the winner and the explanation of the choice."""

    case_id: int
    winner: Candidate
    summary: str
    explanation: dict[str, Any]
    has_open_offer: bool
    offer: Offer | None = None


def _rank(
    pool: Pool,
    method: QueueMethod,
    requirements: list[tuple[int, str, int]],
    declined: list[int],
    levels: dict[tuple[int, int], int],
) -> tuple[list[Candidate], list[Skip], str, bool]:
    """The candidates for one case in the order the method tries them, who was left out and
    why, the skill mode, and whether anyone (decliners included) has room at all."""
    skipped = list(pool.skipped)
    candidates: list[Candidate] = []
    anyone = False
    for candidate in pool.candidates:
        if candidate.used >= candidate.capacity.max_units:
            detail = f"{candidate.used} of {candidate.capacity.max_units}"
            skipped.append((candidate.agent_id, candidate.name, "capacity", detail))
            continue
        anyone = True
        if declined and candidate.agent_id in declined:
            skipped.append((candidate.agent_id, candidate.name, "declined", ""))
            continue
        candidate.shortfall = 0
        candidates.append(candidate)
    candidates, mode = match_skills(candidates, requirements, skipped, levels)
    return order_candidates(candidates, method), skipped, mode, anyone


def _explain(
    ordered: list[Candidate],
    skipped: list[Skip],
    method: QueueMethod,
    mode: str,
    requirements: list[tuple[int, str, int]],
) -> dict[str, Any]:
    return {
        "method": method.method,
        "work_kind": method.work_kind,
        "skill_mode": mode,
        "requirements": [
            {"skill_id": skill_id, "skill": name, "min_proficiency": level}
            for skill_id, name, level in requirements
        ],
        "candidates": [c.describe() for c in ordered[:SHOWN]],
        "candidates_total": len(ordered),
        "skipped": [skip_entry(*skip) for skip in skipped[:SHOWN]],
        "skipped_total": len(skipped),
        "skipped_counts": dict(Counter(skip[2] for skip in skipped)),
    }


@dataclass
class BatchOutcome:
    offers: dict[int, Offer] = field(default_factory=dict)
    queue_exhausted: bool = False  # nobody in the queue can take any case now


def assign_batch(
    case_ids: list[int], now: datetime, *, queue_id: int | None = None, skip_locked: bool
) -> BatchOutcome:
    try:
        return _assign_batch_locked(case_ids, now, queue_id=queue_id, skip_locked=skip_locked)
    except MissingLoads as missing:
        # Agents whose profile was made without set_presence(); once per agent.
        ensure_loads(missing.agent_ids)
        return _assign_batch_locked(case_ids, now, queue_id=queue_id, skip_locked=skip_locked)


def _assign_batch_locked(
    case_ids: list[int], now: datetime, *, queue_id: int | None, skip_locked: bool
) -> BatchOutcome:
    """Assign waiting cases of one queue in one transaction: lock them, lock the pool, plan
    every case in memory, then write the outcome in a fixed number of statements."""
    with transaction.atomic():
        queue, waiting = _lock_waiting(case_ids, queue_id=queue_id, skip_locked=skip_locked)
        if queue is None:
            return BatchOutcome()
        method = method_of(getattr(queue, "routing", None))
        if method.method == AssignmentMethod.ROUND_ROBIN:
            method = queue_method(queue.pk, lock=True)
        if method.method == AssignmentMethod.MANUAL:
            summary = _("%(queue)s is worked by hand; waits in queue") % {"queue": queue.name}
            _wait(waiting[0].case_id, queue.pk, summary, {"method": method.method}, now)
            return BatchOutcome(queue_exhausted=True)
        pool = lock_pool(queue.pk, method.work_kind, now)
        plans, exhausted = _plan(waiting, queue, pool, method, now)
        if plans:
            _write(plans, queue, pool, method, now)
        return BatchOutcome(
            offers={plan.case_id: plan.offer for plan in plans if plan.offer is not None},
            queue_exhausted=exhausted,
        )


def _plan(
    waiting: list[_Waiting], queue: Queue, pool: Pool, method: QueueMethod, now: datetime
) -> tuple[list[_Plan], bool]:
    """Choose an agent for each case in turn, as if each choice had been written; record
    why the others wait. Tell whether the queue ran out of anyone with room."""
    requirements: dict[int, list[tuple[int, str, int]]] = {}
    if pool.candidates:
        for case_id, skill_id, name, level in (
            CaseRequirement.objects.filter(case_id__in=[w.case_id for w in waiting])
            .order_by("case_id", "skill_id")
            .values_list("case_id", "skill_id", "skill__name", "min_proficiency")
        ):
            requirements.setdefault(case_id, []).append((skill_id, name, level))
    levels = skill_levels(
        [c.agent_id for c in pool.candidates],
        {skill_id for needs in requirements.values() for skill_id, _n, _l in needs},
    )
    plans: list[_Plan] = []
    for item in waiting:
        declines = len(item.declined)
        if method.max_declines and declines >= method.max_declines:
            wait_declined(
                case_id=item.case_id,
                queue=queue,
                declines=declines,
                max_declines=method.max_declines,
                now=now,
            )
            continue
        needs = requirements.get(item.case_id, [])
        ordered, skipped, mode, anyone = _rank(pool, method, needs, item.declined, levels)
        explanation = _explain(ordered, skipped, method, mode, needs)
        if not ordered:
            summary = _("No available agent with capacity in %(queue)s; waits in queue") % {
                "queue": queue.name
            }
            _wait(item.case_id, queue.pk, summary, explanation, now)
            if not anyone:
                return plans, True
            continue
        winner = ordered[0]
        last = ""
        if method.last_assigned_agent_id:
            last = pool.name_of(method.last_assigned_agent_id) or _last_name(
                method.last_assigned_agent_id
            )
        explanation["winner"] = {
            "agent_id": winner.agent_id,
            "name": winner.name,
            "why": why_won(winner, ordered, method, last),
        }
        summary = assign_summary(winner, method, last, mode)
        plans.append(_Plan(item.case_id, winner, summary, explanation, item.has_open_offer))
        pool.give(winner, now)
        if method.method == AssignmentMethod.ROUND_ROBIN:
            method = replace(method, last_assigned_agent_id=winner.agent_id)
    return plans, False


def _last_name(agent_id: int) -> str:
    user = get_user_model().objects.filter(pk=agent_id).first()
    return display_name(user) if user else ""


def _write(
    plans: list[_Plan], queue: Queue, pool: Pool, method: QueueMethod, now: datetime
) -> None:
    """Write what the plans decided: offers, owners (with audit trail and timeline), loads,
    idle clocks, busy at full capacity, the queue's turn, the decisions."""
    reoffered = [plan.case_id for plan in plans if plan.has_open_offer]
    if reoffered:
        Offer.objects.filter(case_id__in=reoffered, status=OfferStatus.OFFERED).update(
            status=OfferStatus.WITHDRAWN, answered_at=now
        )
    offers = [
        Offer(case_id=plan.case_id, agent_id=plan.winner.agent_id, offered_at=now) for plan in plans
    ]
    sql.insert_many(offers, return_pks=True)
    for plan, offer in zip(plans, offers, strict=True):
        plan.offer = offer
    hand_out(
        handouts=[
            Handout(
                case_id=plan.case_id, owner_id=plan.winner.agent_id, owner_label=plan.winner.name
            )
            for plan in plans
        ],
        at=now,
        load_counted=True,
    )
    set_loads(pool.work_kind, pool.new_loads())
    AgentProfile.objects.filter(agent_id__in=list(pool.given)).update(last_assigned_at=now)
    mark_full_busy(agent_ids=pool.filled(), now=now)
    if method.method == AssignmentMethod.ROUND_ROBIN:
        QueueRouting.objects.filter(queue_id=queue.pk).update(
            last_assigned_agent_id=plans[-1].winner.agent_id
        )
    sql.insert_many(
        [
            _decision(
                plan.case_id,
                queue.pk,
                DecisionKind.ASSIGN,
                plan.summary,
                plan.explanation,
                now,
                agent_id=plan.winner.agent_id,
            )
            for plan in plans
        ]
    )


def assign_waiting_case(*, case_id: int, now: datetime | None = None) -> Offer | None:
    """Give a waiting case to the best candidate of its queue, or record why it waits.

    Returns the offer made, or None (owned already, closed, or nobody could take it).
    """
    return assign_batch([case_id], now or timezone.now(), skip_locked=False).offers.get(case_id)
