"""What an agent does on a case: reply, note, status, take, assign, priority, queue, log time,
accept or decline routing's offer.

Each view parses its form, calls one service and answers: htmx requests get the changed parts
of the case view (out-of-band swaps), other requests are redirected back (POST/redirect/GET).
A refused change shows why, with status 422 (409 when routing refuses: no capacity left, the
case is someone else's, no offer to answer), and keeps what the agent wrote.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from caseway.cases import services as case_services
from caseway.cases.exceptions import (
    AttachmentRejected,
    CaseClosed,
    CaseError,
    EmptyMessage,
    NotAnAgent,
    TransitionNotAllowed,
)
from caseway.cases.models import Case, CasePriority, CaseStatus
from caseway.cases.queries import get_case_for_user
from caseway.intake import services as intake_services
from caseway.routing import offers as routing_offers
from caseway.routing.exceptions import CaseTaken, NoOffer, OverCapacity, RoutingError
from caseway.routing.explain import open_offer
from caseway.routing.queries import agent_state, work_kind_of_queue
from caseway.workspace.access import agent_of, agent_required, case_or_404, is_htmx
from caseway.workspace.forms import (
    AssignForm,
    LogTimeForm,
    MoveForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
)
from caseway.workspace.templatetags.countdown import minutes_label
from caseway.workspace.views.case_view import render_case_page, render_case_update

Upload = tuple[str, str, bytes]


def explain(exc: CaseError) -> str:
    """A sentence an agent understands for each refusal of a service."""
    if isinstance(exc, TransitionNotAllowed):
        return _("A case cannot go from “%(current)s” to “%(target)s”.") % {
            "current": _status(exc.current),
            "target": _status(exc.target),
        }
    if isinstance(exc, EmptyMessage):
        return _("Write something or attach a file before sending.")
    if isinstance(exc, AttachmentRejected):
        return _("Attachment refused: %(reason)s") % {"reason": str(exc)}
    if isinstance(exc, CaseClosed):
        return _("This case is closed. Reopen it before assigning it.")
    if isinstance(exc, NotAnAgent):
        return _("Only agents can do that.")
    return str(exc) or _("That change is not possible.")


def explain_routing(exc: RoutingError, *, case: Case, agent: AbstractBaseUser) -> str:
    """A sentence an agent understands for each refusal of routing."""
    if isinstance(exc, OverCapacity):
        kind = work_kind_of_queue(case.queue_id)
        load = next((x for x in agent_state(agent).loads if x.work_kind == kind), None)
        if load is not None:
            return _(
                "You are at full capacity (%(used)d of %(max)d). Resolve or hand over a case "
                "before taking another."
            ) % {"used": load.used, "max": load.capacity.max_units}
        return _("You are at full capacity. Resolve or hand over a case before taking another.")
    if isinstance(exc, CaseTaken):
        return _("Someone else owns this case now. Reassign it under Owner if you need it.")
    if isinstance(exc, NoOffer):
        return _("This case is not offered to you any more.")
    return str(exc) or _("That change is not possible.")


def _status(value: str) -> str:
    return str(CaseStatus(value).label) if value in CaseStatus.values else value


def read_uploads(uploads: list[UploadedFile]) -> list[Upload]:
    """Turn uploaded files into (filename, content_type, bytes), checking each with the
    service's rule before reading it, so an oversized file is never read into memory."""
    files: list[Upload] = []
    for upload in uploads:
        name = upload.name or "attachment"
        content_type = upload.content_type or ""
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        size = upload.size or 0
        try:
            case_services.check_attachment_file(filename=name, content_type=content_type, size=size)
        except AttachmentRejected as exc:
            raise AttachmentRejected(_describe_rejection(name, content_type, size)) from exc
        files.append((name, content_type, upload.read()))
    return files


def _describe_rejection(name: str, content_type: str, size: int) -> str:
    limit = settings.CASEWAY_ATTACHMENT_MAX_BYTES
    if size > limit:
        return _("“%(name)s” is %(size)s; files can be at most %(limit)s.") % {
            "name": name,
            "size": filesizeformat(size),
            "limit": filesizeformat(limit),
        }
    return _("“%(name)s” is a %(type)s file, which cannot be attached.") % {
        "name": name,
        "type": content_type,
    }


def _form_error(form: Form) -> str:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return " ".join(errors) or _("Check the form and try again.")


def _done(
    request: HttpRequest,
    number: str,
    message: str,
    *,
    include_composer: bool = False,
    composer_mode: str = "reply",
) -> HttpResponse:
    """Answer a change that worked."""
    messages.success(request, message)
    try:
        case = get_case_for_user(request.user, number)
    except Case.DoesNotExist:
        # Moved to a queue the agent does not work: back to the list.
        url = reverse("workspace:home")
        return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)
    if is_htmx(request):
        return render_case_update(
            request, case, include_composer=include_composer, composer_mode=composer_mode
        )
    return redirect("workspace:case", number=case.number)


def _refused(
    request: HttpRequest,
    case: Case,
    error: str,
    *,
    include_composer: bool = False,
    status: int = 422,
    **forms: Any,
) -> HttpResponse:
    """Answer a change that was refused: say why, keep the agent's input, status 422.

    A refused reply or note says why inside the composer; other refusals in a message.
    """
    if include_composer:
        forms["composer_error"] = error
    else:
        messages.error(request, error)
    case = case_or_404(request, case.number)  # fresh state for the parts we render
    if is_htmx(request):
        return render_case_update(
            request, case, include_composer=include_composer, status=status, **forms
        )
    return render_case_page(request, case, status=status, **forms)


@agent_required
@require_POST
def reply(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = ReplyForm(request.POST, request.FILES, case=case)
    if not form.is_valid():
        return _refused(request, case, _form_error(form), include_composer=True, reply_form=form)
    try:
        intake_services.send(
            case=case,
            agent=agent_of(request),
            text=form.cleaned_data["text"],
            attachments=read_uploads(form.cleaned_data["attachments"]),
            status=form.cleaned_data["status"] or None,
            channel=form.cleaned_data["channel"] or "",
        )
    except CaseError as exc:
        return _refused(request, case, explain(exc), include_composer=True, reply_form=form)
    return _done(request, number, _("Reply sent."), include_composer=True)


@agent_required
@require_POST
def note(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            case,
            _form_error(form),
            include_composer=True,
            composer_mode="note",
            note_form=form,
        )
    try:
        case_services.add_note(case=case, agent=agent_of(request), text=form.cleaned_data["text"])
    except CaseError as exc:
        return _refused(
            request,
            case,
            explain(exc),
            include_composer=True,
            composer_mode="note",
            note_form=form,
        )
    return _done(request, number, _("Note added."), include_composer=True, composer_mode="note")


@agent_required
@require_POST
def change_status(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _form_error(form))
    status = form.cleaned_data["status"]
    try:
        case_services.change_status(case=case, status=status, actor=agent_of(request))
    except CaseError as exc:
        return _refused(request, case, explain(exc))
    return _done(request, number, _("Status set to %(status)s.") % {"status": _status(status)})


@agent_required
@require_POST
def take(request: HttpRequest, number: str) -> HttpResponse:
    """Pick a waiting case by hand, within the agent's capacity (routing's pick_case)."""
    case = case_or_404(request, number)
    agent = agent_of(request)
    try:
        routing_offers.pick_case(case=case, agent=agent)
    except CaseError as exc:
        return _refused(request, case, explain(exc))
    except RoutingError as exc:
        return _refused(request, case, explain_routing(exc, case=case, agent=agent), status=409)
    return _done(request, number, _("You own this case now."))


def _answer_offer(
    request: HttpRequest, number: str, answer: Callable[..., object]
) -> tuple[Case, HttpResponse | None]:
    """Run `answer` (accept or decline) on the agent's open offer of the case; the refusal
    to send back when there is none or routing refuses."""
    case = case_or_404(request, number)
    agent = agent_of(request)
    offer = open_offer(case, agent)
    try:
        if offer is None:
            raise NoOffer(case.pk)
        answer(offer=offer, agent=agent)
    except RoutingError as exc:
        refusal = explain_routing(exc, case=case, agent=agent)
        return case, _refused(request, case, refusal, status=409)
    return case, None


@agent_required
@require_POST
def accept_offer(request: HttpRequest, number: str) -> HttpResponse:
    """Keep the case routing assigned to the agent."""
    case, refused = _answer_offer(request, number, routing_offers.accept_offer)
    if refused is not None:
        return refused
    return _done(request, number, _("Accepted: %(number)s is yours.") % {"number": case.number})


@agent_required
@require_POST
def decline_offer(request: HttpRequest, number: str) -> HttpResponse:
    """Give the case back: routing offers it to the next candidate; back to "My cases"."""
    case, refused = _answer_offer(request, number, routing_offers.decline_offer)
    if refused is not None:
        return refused
    messages.success(
        request,
        _("You declined %(number)s. Routing offers it to the next agent.")
        % {"number": case.number},
    )
    url = reverse("workspace:home") + "?owner=me"
    return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)


@agent_required
@require_POST
def assign(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = AssignForm(request.POST, case=case)
    if not form.is_valid():
        return _refused(request, case, _form_error(form))
    owner = form.cleaned_data["owner"]
    try:
        case_services.assign_case(case=case, owner=owner, actor=agent_of(request))
    except CaseError as exc:
        return _refused(request, case, explain(exc))
    if owner is None:
        message = _("The case is back in the queue, unassigned.")
    elif owner.pk == request.user.pk:
        message = _("You own this case now.")
    else:
        name = owner.get_full_name() or owner.get_username()
        message = _("Assigned to %(name)s.") % {"name": name}
    return _done(request, number, message)


@agent_required
@require_POST
def change_priority(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _form_error(form))
    priority = form.cleaned_data["priority"]
    try:
        case_services.change_priority(case=case, priority=priority, actor=agent_of(request))
    except CaseError as exc:
        return _refused(request, case, explain(exc))
    label = CasePriority(priority).label
    return _done(request, number, _("Priority set to %(priority)s.") % {"priority": label})


@agent_required
@require_POST
def move(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _form_error(form))
    queue = form.cleaned_data["queue"]
    try:
        case_services.move_case(case=case, queue=queue, actor=agent_of(request))
    except CaseError as exc:
        return _refused(request, case, explain(exc))
    return _done(
        request,
        number,
        _("%(number)s moved to %(queue)s.") % {"number": case.number, "queue": queue},
    )


@agent_required
@require_POST
def log_time(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = LogTimeForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _form_error(form), log_time_form=form)
    minutes = form.cleaned_data["minutes"]
    try:
        case_services.log_time(
            case=case, agent=agent_of(request), minutes=minutes, note=form.cleaned_data["note"]
        )
    except CaseError as exc:
        return _refused(request, case, explain(exc), log_time_form=form)
    except ValueError as exc:  # the service's own bounds, should the form's ever drift
        return _refused(request, case, str(exc), log_time_form=form)
    return _done(request, number, _("Logged %(minutes)s.") % {"minutes": minutes_label(minutes)})
