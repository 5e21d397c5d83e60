"""What only agents do to a case: internal notes, status changes, assignment, time logged."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from caseway.api.auth import require_agent
from caseway.api.errors import field_error
from caseway.api.outputs import activity_out, case_out
from caseway.api.schemas import (
    AssignIn,
    CaseActivityOut,
    CaseOut,
    ErrorOut,
    NoteIn,
    StatusIn,
    TimeIn,
    ValidationErrorOut,
)
from caseway.cases import services as case_services
from caseway.cases.queries import get_case_for_user, is_agent

router = Router(tags=["cases (agents)"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


@router.post(
    "/{number}/notes",
    response={201: CaseActivityOut, **ERRORS},
    summary="Add an internal note (agents)",
)
def add_note(request: HttpRequest, number: str, payload: NoteIn) -> Status[CaseActivityOut]:
    caller = require_agent(request)
    case = get_case_for_user(caller.user, number)
    activity = case_services.add_note(case=case, agent=caller.user, text=payload.text)
    case = get_case_for_user(caller.user, number)
    return Status(
        201,
        CaseActivityOut(
            case=case_out(case, for_agent=True), activity=activity_out(activity, for_agent=True)
        ),
    )


@router.post(
    "/{number}/status",
    response={200: CaseOut, **ERRORS},
    summary="Change a case's status (agents)",
)
def change_status(request: HttpRequest, number: str, payload: StatusIn) -> CaseOut:
    """409 when the workflow does not allow the move (a resolved case can only reopen)."""
    caller = require_agent(request)
    case = get_case_for_user(caller.user, number)
    case_services.change_status(case=case, status=payload.status, actor=caller.user)
    return case_out(get_case_for_user(caller.user, number), for_agent=True)


@router.post(
    "/{number}/assign",
    response={200: CaseOut, **ERRORS},
    summary="Give a case to an agent, or back to its queue (agents)",
)
def assign_case(request: HttpRequest, number: str, payload: AssignIn) -> CaseOut:
    """`owner` is an agent's username, or null to unassign; 422 for anyone else, 409 for a
    closed case."""
    caller = require_agent(request)
    case = get_case_for_user(caller.user, number)
    owner = None
    if payload.owner is not None:
        owner = get_user_model().objects.filter(username=payload.owner).first()
        if owner is None or not is_agent(owner):
            raise field_error(
                ["body", "payload", "owner"],
                _("%(username)s is not an agent.") % {"username": payload.owner},
                "not_an_agent",
            )
    case_services.assign_case(case=case, owner=owner, actor=caller.user)
    return case_out(get_case_for_user(caller.user, number), for_agent=True)


@router.post(
    "/{number}/time",
    response={201: CaseActivityOut, **ERRORS},
    summary="Log time worked on a case (agents)",
)
def log_time(request: HttpRequest, number: str, payload: TimeIn) -> Status[CaseActivityOut]:
    """1 to 1440 minutes, on the internal timeline. Time logged counts against a contract
    of hours when the case is resolved."""
    caller = require_agent(request)
    case = get_case_for_user(caller.user, number)
    activity = case_services.log_time(
        case=case, agent=caller.user, minutes=payload.minutes, note=payload.note
    )
    case = get_case_for_user(caller.user, number)
    return Status(
        201,
        CaseActivityOut(
            case=case_out(case, for_agent=True), activity=activity_out(activity, for_agent=True)
        ),
    )
