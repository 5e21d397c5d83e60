"""What agents do with work: accept or decline an offer, pick a waiting case by hand."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases import services as case_services
from caseway.cases.exceptions import CaseClosed, NotAnAgent
from caseway.cases.models import Case
from caseway.cases.queries import is_agent
from caseway.routing.assignment import queue_method, record_decision, wait_declined
from caseway.routing.exceptions import CaseTaken, NoOffer, OverCapacity
from caseway.routing.models import AgentProfile, DecisionKind, Offer, OfferStatus
from caseway.routing.presence import (
    display_name,
    ensure_agent_rows,
    give_back_today,
    load_used,
    mark_auto_busy,
    take_capacity,
)
from caseway.routing.queries import agent_timezone, capacities, local_day


def _locked_offer(offer: Offer, agent: AbstractBaseUser) -> tuple[Case, Offer]:
    """Lock the case, then the offer; raise NoOffer unless the agent holds it open."""
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("queue").get(pk=offer.case_id)
    )
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if (
        offer.agent_id != agent.pk
        or offer.status != OfferStatus.OFFERED
        or case.owner_id != agent.pk
    ):
        raise NoOffer(offer.pk)
    return case, offer


@transaction.atomic
def accept_offer(*, offer: Offer, agent: AbstractBaseUser, now: datetime | None = None) -> Offer:
    """The agent keeps the case they were offered."""
    _case, offer = _locked_offer(offer, agent)
    offer.status = OfferStatus.ACCEPTED
    offer.answered_at = now or timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    return offer


@transaction.atomic
def decline_offer(*, offer: Offer, agent: AbstractBaseUser, now: datetime | None = None) -> Offer:
    """The agent gives the case back: it returns to its queue and, after commit, goes to the
    next candidate who has not declined it (the CaseAssigned handler), until the queue's
    max_declines declines; then it waits for someone to pick it."""
    now = now or timezone.now()
    case, offer = _locked_offer(offer, agent)
    offer.status = OfferStatus.DECLINED
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    method = queue_method(case.queue_id)
    give_back_today(
        agent_id=agent.pk,
        work_kind=method.work_kind,
        today=local_day(now, agent_timezone(agent.pk)),
    )
    case_services.assign_case(case=case, owner=None, actor=None)
    declines = Offer.objects.filter(case_id=case.pk, status=OfferStatus.DECLINED).count()
    limit = method.max_declines
    summary = _("Declined by %(agent)s") % {"agent": display_name(agent)}
    if limit:
        summary += " " + _("(%(n)d of %(max)d)") % {"n": declines, "max": limit}
    record_decision(
        case,
        DecisionKind.DECLINE,
        summary,
        {"agent_id": agent.pk, "declines": declines, "max_declines": limit},
        now,
        agent_id=agent.pk,
    )
    if limit and declines >= limit:
        wait_declined(
            case_id=case.pk, queue=case.queue, declines=declines, max_declines=limit, now=now
        )
    return offer


def pick_case(*, case: Case, agent: AbstractBaseUser, now: datetime | None = None) -> Case:
    """An agent takes a waiting case by hand, within their capacity (OverCapacity when full).

    Presence does not matter: picking is deliberate. Raises CaseTaken when someone else owns
    the case, CaseClosed when it is closed, NotAnAgent for a user who is not an agent.
    """
    if not is_agent(agent):
        raise NotAnAgent(str(agent))
    ensure_agent_rows(agent)  # before any lock (see ensure_loads)
    return _pick_case(case=case, agent=agent, now=now or timezone.now())


@transaction.atomic
def _pick_case(*, case: Case, agent: AbstractBaseUser, now: datetime) -> Case:
    case = Case.objects.select_for_update(of=("self",)).select_related("queue").get(pk=case.pk)
    if not case.is_open:
        raise CaseClosed(case.pk)
    if case.owner_id == agent.pk:
        return case
    if case.owner_id is not None:
        raise CaseTaken(case.pk)
    profile = (
        AgentProfile.objects.select_for_update(of=("self",))
        .select_related("working_hours")
        .get(agent_id=agent.pk)
    )
    work_kind = queue_method(case.queue_id).work_kind
    capacity = capacities([agent.pk], work_kind)[agent.pk]
    tz = profile.working_hours.timezone if profile.working_hours else None
    today = local_day(now, tz)
    if not take_capacity(agent_id=agent.pk, work_kind=work_kind, capacity=capacity, today=today):
        raise OverCapacity(
            _("%(agent)s has no capacity left (%(max)d at most)")
            % {"agent": display_name(agent), "max": capacity.max_units}
        )
    used = load_used(agent_id=agent.pk, work_kind=work_kind, capacity=capacity, today=today)
    Offer.objects.filter(case_id=case.pk, status=OfferStatus.OFFERED).update(
        status=OfferStatus.WITHDRAWN, answered_at=now
    )
    case = case_services.assign_case(case=case, owner=agent, actor=agent)
    AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=now)
    if used >= capacity.max_units:
        mark_auto_busy(profile_id=profile.pk, agent_id=agent.pk)
    left = capacity.max_units - used + 1
    record_decision(
        case,
        DecisionKind.ASSIGN,
        _("Picked by hand by %(agent)s (%(left)d of %(max)d left)")
        % {"agent": display_name(agent), "left": left, "max": capacity.max_units},
        {
            "method": "pick",
            "work_kind": work_kind,
            "winner": {
                "agent_id": agent.pk,
                "name": display_name(agent),
                "why": _("picked by hand"),
            },
            "capacity": capacity.max_units,
            "capacity_left": left,
        },
        now,
        agent_id=agent.pk,
    )
    return case
