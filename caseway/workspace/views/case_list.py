"""The case list: sidebar views and queues, filters, sort, paging, SLA countdowns, the cases
routing offered the agent and, in a queue's view, who of the queue is present."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from caseway.cases.models import Queue
from caseway.cases.queries import cases_visible_to
from caseway.routing.explain import queue_members, with_offer_flag
from caseway.routing.models import Presence
from caseway.sla.queries import running_timers_prefetch
from caseway.workspace.access import agent_of, agent_required, htmx_target
from caseway.workspace.forms import CaseFilterForm
from caseway.workspace.listing import PAGE_SIZE, active_view, filter_cases, sidebar_queues
from caseway.workspace.views.shell import shell_context

LIST_TARGET = "case-list"


def _title(view: str, queues: list[Queue]) -> str:
    if view.startswith("queue:"):
        slug = view.removeprefix("queue:")
        return next((q.name for q in queues if q.slug == slug), _("Queue"))
    return {
        "mine": _("My cases"),
        "unassigned": _("Unassigned"),
        "open": _("All open"),
    }.get(view, _("Cases"))


@agent_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def case_list(request: HttpRequest) -> HttpResponse:
    queues = sidebar_queues(request.user)
    form = CaseFilterForm(request.GET or None, queues=queues, initial=CaseFilterForm.DEFAULTS)
    filters = form.values()
    cases = filter_cases(cases_visible_to(request.user), filters, user=request.user)
    cases = with_offer_flag(cases, agent_of(request))  # in the rows' query
    cases = cases.prefetch_related(running_timers_prefetch())  # one query for the page's timers
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    view = active_view(filters)
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "view": view,
        "title": _title(view, queues),
        "poll_list": True,
    }
    if view.startswith("queue:"):
        slug = view.removeprefix("queue:")
        queue = next((q for q in queues if q.slug == slug), None)
        members = queue_members(queue.pk) if queue else []
        context["queue_members"] = members
        context["queue_available"] = sum(m.presence == Presence.AVAILABLE for m in members)
    context.update(shell_context(request, queues=queues, active_view=view))
    if htmx_target(request) == LIST_TARGET:
        # The list, plus the title and sidebar (active entry, fresh counts) out of band.
        return render(request, "workspace/_case_list_update.html", context)
    return render(request, "workspace/case_list.html", context)
