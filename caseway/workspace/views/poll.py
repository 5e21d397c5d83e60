"""What changed for the agent since the page loaded, asked every few seconds until websockets
arrive: the sidebar's numbers, their presence (Caseway sets it busy at full capacity), new
offers (a toast each), phone calls the agent took (their case pops open) and, on "My cases",
the list when it changed.

Two queries besides the session's (the sidebar's numbers, grouped; presence with the newest
offer id); one more when a new offer arrived, three more when "My cases" changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from caseway.cases.queries import cases_visible_to
from caseway.routing.calls import calls_after
from caseway.routing.explain import agent_bar, offers_after, with_offer_flag
from caseway.routing.models import OfferStatus
from caseway.sla.queries import running_timers_prefetch
from caseway.workspace.access import agent_of, agent_required
from caseway.workspace.forms import CaseFilterForm
from caseway.workspace.listing import PAGE_SIZE, active_view, filter_cases, nav_badges

# At most this many sidebar queues are refreshed (ids come from the page).
MAX_QUEUES = 200


@dataclass(frozen=True)
class QueueBadge:
    """A sidebar queue's numbers, shaped like the annotated Queue the sidebar renders."""

    pk: int
    open_count: int
    unassigned_count: int


def _int(value: str) -> int:
    try:
        return max(0, int(value))
    except ValueError:
        return 0


def _queue_ids(value: str) -> list[int]:
    ids = [_int(part) for part in value.split(",")[:MAX_QUEUES] if part.strip()]
    return [queue_id for queue_id in ids if queue_id]


@agent_required
@require_GET
@never_cache
def poll(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    badges = nav_badges(agent)
    bar = agent_bar(agent)
    seen = _int(request.GET.get("seen", "0"))
    new_offers = []
    if bar.newest_offer_id > seen:
        new_offers = [
            offer
            for offer in offers_after(agent, seen)
            if offer.status == OfferStatus.OFFERED and offer.case.owner_id == agent.pk
        ]
    seen_call = _int(request.GET.get("seen_call", "0"))
    new_calls = calls_after(agent.pk, seen_call) if bar.newest_call_id > seen_call else []
    context: dict[str, Any] = {
        "nav_counts": badges.counts,
        "nav_queues": [
            QueueBadge(
                pk=queue_id,
                open_count=badges.queues[queue_id].open if queue_id in badges.queues else 0,
                unassigned_count=(
                    badges.queues[queue_id].unassigned if queue_id in badges.queues else 0
                ),
            )
            for queue_id in _queue_ids(request.GET.get("queues", ""))
        ],
        "agent_bar": bar,
        "presence_changed": request.GET.get("presence", "") != bar.state,
        "new_offers": new_offers,
        "new_calls": new_calls,
    }
    if "list" in request.GET and request.GET.get("mine", "") != badges.counts.mine_version:
        context.update(_my_cases(request, QueryDict(request.GET["list"])))
    return render(request, "workspace/_poll_update.html", context)


def _my_cases(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    """The page of the case list the agent looks at, if it is "My cases" (else nothing)."""
    if params.get("queue"):
        return {}  # a queue's view, never "My cases" (and no queue list to check it against)
    form = CaseFilterForm(params or None, queues=[], initial=CaseFilterForm.DEFAULTS)
    filters = form.values()
    view = active_view(filters)
    if view != "mine":
        return {}
    agent = agent_of(request)
    cases = filter_cases(cases_visible_to(agent), filters, user=agent)
    cases = with_offer_flag(cases, agent).prefetch_related(running_timers_prefetch())
    page = Paginator(cases, PAGE_SIZE).get_page(params.get("page"))
    return {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "view": view,
        "filters": filters,
    }
