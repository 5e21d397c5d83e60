"""Cases for both sides: list, read with the timeline, open (customers) and add a message.

What a caller sees is decided by caseway.cases.queries alone; a case the caller may not see
answers 404 like one that does not exist.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import AuthorizationError, HttpError

from caseway.api.auth import Principal, require_customer, require_role
from caseway.api.errors import field_error
from caseway.api.filters import filter_cases
from caseway.api.inbound import checked_attachments, customer_message
from caseway.api.outputs import activity_out, case_detail_out, case_out
from caseway.api.schemas import (
    CaseActivityOut,
    CaseCreateIn,
    CaseDetailOut,
    CaseFilters,
    CaseOut,
    CasePage,
    ErrorOut,
    MessageIn,
    ValidationErrorOut,
)
from caseway.cases.models import Activity, Case, CaseStatus
from caseway.cases.queries import cases_visible_to, get_case_for_user, timeline_for
from caseway.connectors.messages import AttachmentIn as InboundAttachment
from caseway.customers.models import Contact
from caseway.intake import services as intake
from caseway.sla.queries import sla_summary_for_case

router = Router(tags=["cases"])

DENIED = {401: ErrorOut, 403: ErrorOut}
WRITE_ERRORS = {**DENIED, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ValidationErrorOut}


@router.get("", response={200: CasePage, **DENIED}, summary="List the cases you may see")
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> CasePage:
    """Newest activity first. Customers see their own cases (an account admin the account's);
    agents the cases of their queues and those they own."""
    caller = require_role(request)
    cases = filter_cases(cases_visible_to(caller.user), filters, user=caller.user)
    page = cases[filters.offset : filters.offset + filters.limit]
    return CasePage(
        count=cases.count(),
        limit=filters.limit,
        offset=filters.offset,
        items=[case_out(case, for_agent=caller.is_agent) for case in page],
    )


@router.post(
    "",
    response={200: CaseOut, 201: CaseOut, **WRITE_ERRORS},
    summary="Open a case (customers)",
)
def create_case(request: HttpRequest, payload: CaseCreateIn) -> Status[CaseOut]:
    """201 with the new case. Sending the same `client_message_id` again returns the same
    case with 200 and changes nothing."""
    caller, contact = require_customer(request)
    return open_customer_case(
        caller=caller,
        contact=contact,
        subject=payload.subject,
        text=payload.text,
        attachments=checked_attachments(payload.attachments),
        client_message_id=payload.client_message_id,
        channel=payload.channel,
    )


def open_customer_case(
    *,
    caller: Principal,
    contact: Contact,
    subject: str,
    text: str,
    attachments: tuple[InboundAttachment, ...],
    client_message_id: str | None,
    channel: str,
) -> Status[CaseOut]:
    """Open a case through intake (JSON or multipart alike); 200 for a replay."""
    result = intake.receive(
        customer_message(
            caller=caller,
            contact=contact,
            channel=channel,
            subject=subject,
            text=text,
            attachments=attachments,
            client_message_id=client_message_id,
        )
    )
    case = get_case_for_user(caller.user, result.case.number)
    return Status(200 if result.is_replay else 201, case_out(case, for_agent=False))


@router.get(
    "/{number}",
    response={200: CaseDetailOut, **DENIED, 404: ErrorOut},
    summary="A case with its timeline",
)
def get_case(request: HttpRequest, number: str) -> CaseDetailOut:
    """Customers get the public messages; agents every entry (notes, status changes,
    assignments) and the case's SLA: its policy, contract and KPI clocks."""
    caller = require_role(request)
    case = get_case_for_user(caller.user, number)
    sla = sla_summary_for_case(case) if caller.is_agent else None
    return case_detail_out(
        case, timeline_for(caller.user, case), for_agent=caller.is_agent, sla=sla
    )


@router.post(
    "/{number}/messages",
    response={200: CaseActivityOut, 201: CaseActivityOut, **WRITE_ERRORS},
    summary="Add a message: a customer's message, or an agent's reply",
)
def add_message(request: HttpRequest, number: str, payload: MessageIn) -> Status[CaseActivityOut]:
    """A customer's message goes through intake like any channel's (a resolved case reopens;
    `client_message_id` makes a retry answer 200 with the first result). An agent's message is
    a reply to the customer, optionally setting `status` in the same step."""
    return add_case_message(
        caller=require_role(request),
        number=number,
        text=payload.text,
        attachments=checked_attachments(payload.attachments),
        client_message_id=payload.client_message_id,
        channel=payload.channel,
        status=payload.status,
    )


def add_case_message(
    *,
    caller: Principal,
    number: str,
    text: str,
    attachments: tuple[InboundAttachment, ...],
    client_message_id: str | None,
    channel: str,
    status: str | None,
) -> Status[CaseActivityOut]:
    """A customer's message through intake, or an agent's reply (JSON or multipart alike)."""
    case = get_case_for_user(caller.user, number)
    if not text.strip() and not attachments:
        raise field_error(
            ["body", "payload", "text"], _("A message needs text or an attachment."), "missing"
        )
    if caller.is_agent:
        activity = intake.send(
            case=case,
            agent=caller.user,
            text=text,
            attachments=[(a.filename, a.content_type, a.content) for a in attachments],
            status=status,
        )
        return Status(201, _case_activity(caller, case.number, activity))
    if status is not None:
        raise AuthorizationError(403, _("Only agents may change a case's status."))
    if case.status == CaseStatus.CANCELLED:
        raise HttpError(409, _("This case was cancelled; open a new case instead."))
    contact = caller.contact
    assert contact is not None  # require_role: not an agent, so a customer
    result = intake.receive(
        customer_message(
            caller=caller,
            contact=contact,
            channel=channel,
            text=text,
            attachments=attachments,
            client_message_id=client_message_id,
            case_reference=case.number,
        )
    )
    return Status(
        200 if result.is_replay else 201,
        _case_activity(caller, result.case.number, result.activity),
    )


def _case_activity(caller: Principal, number: str, activity: Activity | None) -> CaseActivityOut:
    """The case as it is now (read again through the visibility query) and the new entry."""
    case: Case = get_case_for_user(caller.user, number)
    return CaseActivityOut(
        case=case_out(case, for_agent=caller.is_agent),
        activity=activity_out(activity, for_agent=caller.is_agent) if activity else None,
    )
