"""The case view: header, routing's offer, timeline, composer, properties, SLA panel, routing
panel, customer panel and audit trail."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from caseway.cases.models import Case, CasePriority
from caseway.cases.queries import (
    agents_for_queue,
    cases_visible_to,
    queues_for_transfer,
    timeline_for,
)
from caseway.connectors.telephony.consent import opted_out_since
from caseway.core.downloads import file_download
from caseway.routing.explain import describe_decisions, offer_reason, open_offer
from caseway.sla.queries import sla_summary_for_case
from caseway.workspace.access import agent_of, agent_required, case_or_404
from caseway.workspace.forms import LogCallForm, LogTimeForm, NoteForm, ReplyForm, next_statuses
from caseway.workspace.views.shell import shell_context

OTHER_CASES_SHOWN = 8


def case_context(
    request: HttpRequest,
    case: Case,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    log_time_form: LogTimeForm | None = None,
    log_call_form: LogCallForm | None = None,
    composer_mode: str = "reply",
    composer_error: str = "",
) -> dict[str, Any]:
    """Everything the case view's parts render; a constant number of queries."""
    user = request.user
    decisions = describe_decisions(case)
    return {
        "case": case,
        "timeline": list(timeline_for(user, case)),
        "next_statuses": next_statuses(case),
        "priorities": CasePriority.choices,
        "queues": list(queues_for_transfer(user).order_by("name")),
        "agents": list(agents_for_queue(case.queue)),
        "other_cases": list(
            cases_visible_to(user)
            .filter(contact_id=case.contact_id)
            .exclude(pk=case.pk)
            .order_by("-created_at")[:OTHER_CASES_SHOWN]
        ),
        "audit_entries": list(case.audit_entries.all()),
        "sla": sla_summary_for_case(case),
        "decisions": decisions,
        # An open offer makes its agent the owner: only an owner can hold one.
        "offer": open_offer(case, agent_of(request)) if case.owner_id == user.pk else None,
        "offer_reason": offer_reason(decisions),
        "is_mine": case.owner_id == user.pk,
        "reply_form": reply_form or ReplyForm(case=case),
        "note_form": note_form or NoteForm(),
        "log_time_form": log_time_form or LogTimeForm(),
        "log_call_form": log_call_form or LogCallForm(),
        # A customer who texted STOP gets no SMS: the composer says so.
        "sms_opted_out_at": opted_out_since(case.contact.phone) if case.contact.phone else None,
        "composer_mode": composer_mode,
        "composer_error": composer_error,
    }


def render_case_page(
    request: HttpRequest, case: Case, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = case_context(request, case, **forms)
    context.update(shell_context(request))
    return render(request, "workspace/case_detail.html", context, status=status)


def render_case_update(
    request: HttpRequest,
    case: Case,
    *,
    include_composer: bool,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    """The parts an action changes, as htmx out-of-band swaps (the composer only when asked,
    so a half-written reply survives a status change)."""
    context = case_context(request, case, **forms)
    context.update(shell_context(request))
    context["include_composer"] = include_composer
    return render(request, "workspace/_case_update.html", context, status=status)


@agent_required
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render_case_page(request, case_or_404(request, number))


@agent_required
@require_GET
@never_cache
def case_live(request: HttpRequest, number: str) -> HttpResponse:
    """The parts of the case view a live cue refreshes (header, offer, timeline, properties,
    SLA, routing, audit), as out-of-band swaps: never the composer nor the toasts, so a reply
    being typed and an offer's toast stay."""
    context = case_context(request, case_or_404(request, number))
    context.update(shell_context(request))
    return render(request, "workspace/_case_live.html", context)


@agent_required
@require_GET
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """Serve an attachment of a case the agent may see, always as a download."""
    case = case_or_404(request, number)
    attachment = get_object_or_404(case.attachments, pk=attachment_id)
    return file_download(
        file=attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
