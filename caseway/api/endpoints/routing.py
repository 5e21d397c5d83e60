"""Routing for agents and integrations: presence, offers, picking a case, the rule tester."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from caseway.api.auth import require_agent
from caseway.api.outputs import case_out
from caseway.api.schemas import CaseOut, ErrorOut, InputSchema, ValidationErrorOut
from caseway.cases.models import CasePriority
from caseway.cases.queries import get_case_for_user
from caseway.core.kinds import ChannelKind
from caseway.routing.exceptions import NoOffer
from caseway.routing.models import AgentProfile, Offer, OfferStatus, Presence
from caseway.routing.offers import accept_offer, decline_offer, pick_case
from caseway.routing.presence import set_presence
from caseway.routing.tester import explain

router = Router(tags=["routing (agents)"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


class PresenceIn(InputSchema):
    presence: Presence


class PresenceOut(Schema):
    presence: Presence
    is_auto_busy: bool
    changed_at: datetime | None


@router.put("/presence", response={200: PresenceOut, **ERRORS}, summary="Set my presence")
def put_presence(request: HttpRequest, payload: PresenceIn) -> PresenceOut:
    """Going offline gives your open cases back to their queues; going available makes you
    a candidate for waiting cases at once."""
    caller = require_agent(request)
    set_presence(agent=caller.user, presence=payload.presence, actor=caller.user)
    profile = AgentProfile.objects.get(agent_id=caller.user.pk)
    return PresenceOut(
        presence=Presence(profile.presence),
        is_auto_busy=profile.is_auto_busy,
        changed_at=profile.presence_changed_at,
    )


def _open_offer(request: HttpRequest, number: str) -> Offer:
    caller = require_agent(request)
    case = get_case_for_user(caller.user, number)
    offer = Offer.objects.filter(
        case=case, agent_id=caller.user.pk, status=OfferStatus.OFFERED
    ).first()
    if offer is None:
        raise NoOffer(case.pk)
    return offer


@router.post(
    "/cases/{number}/accept", response={200: CaseOut, **ERRORS}, summary="Accept an offered case"
)
def accept(request: HttpRequest, number: str) -> CaseOut:
    """409 when routing offered you no such case (or it was withdrawn)."""
    caller = require_agent(request)
    accept_offer(offer=_open_offer(request, number), agent=caller.user)
    return case_out(get_case_for_user(caller.user, number), for_agent=True)


@router.post(
    "/cases/{number}/decline",
    response={200: CaseOut, **ERRORS},
    summary="Decline an offered case",
)
def decline(request: HttpRequest, number: str) -> CaseOut:
    """The case goes back to its queue and on to the next candidate who has not declined it."""
    caller = require_agent(request)
    decline_offer(offer=_open_offer(request, number), agent=caller.user)
    return case_out(get_case_for_user(caller.user, number), for_agent=True)


@router.post(
    "/cases/{number}/pick", response={200: CaseOut, **ERRORS}, summary="Pick a waiting case"
)
def pick(request: HttpRequest, number: str) -> CaseOut:
    """Take a case from one of your queues by hand; 409 when you are at capacity or someone
    else owns it."""
    caller = require_agent(request)
    case = get_case_for_user(caller.user, number)
    pick_case(case=case, agent=caller.user)
    return case_out(get_case_for_user(caller.user, number), for_agent=True)


class RuleTestIn(InputSchema):
    case: str = ""
    channel: ChannelKind = ChannelKind.EMAIL
    email: str = ""
    subject: str = ""
    text: str = ""
    product: str = ""
    priority: CasePriority = CasePriority.NORMAL
    at: datetime | None = None


class RuleCheckOut(Schema):
    condition: str
    passed: bool
    detail: str


class RuleStepOut(Schema):
    rule_id: int
    rule: str
    matched: bool
    checks: list[RuleCheckOut]


class RuleTestOut(Schema):
    summary: str
    queue: str
    priority: str
    rule: str | None
    skills: list[dict[str, object]]
    overflow: dict[str, str] | None
    trail: list[RuleStepOut]
    facts: dict[str, object]


@router.post("/test", response={200: RuleTestOut, **ERRORS}, summary="Test the routing rules")
def test_rules(request: HttpRequest, payload: RuleTestIn) -> dict[str, object]:
    """Which rule a case (`case`: its number) or a made-up message matches, and why.
    Changes nothing."""
    caller = require_agent(request)
    data = payload.dict()
    if payload.case:
        data["case"] = get_case_for_user(caller.user, payload.case)
    return explain(data)
