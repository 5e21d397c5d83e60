"""A signed-in customer's cases: the list, one case, replies and files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from caseway.cases.models import Case
from caseway.cases.queries import cases_visible_to, contact_of, get_case_for_user, is_agent
from caseway.portal.views.conversation import (
    Conversation,
    HtmxHttpRequest,
    attachment_response,
    post_reply,
    render_case,
)

PAGE_SIZE = 20
DETAIL_TEMPLATE = "portal/case_detail.html"


def case_url(case: Case) -> str:
    return reverse("portal:case_detail", args=[case.number])


def _conversation(request: HttpRequest, number: str) -> Conversation:
    """The case `number` if the signed-in customer may see it; 404 otherwise.

    The portal serves customers: a login without a contact (an agent) gets no case pages
    here; agents work in the workspace.
    """
    contact = contact_of(request.user)
    if contact is None:
        raise Http404
    try:
        case = get_case_for_user(request.user, number)
    except Case.DoesNotExist as exc:
        raise Http404 from exc
    url = case_url(case)
    return Conversation(
        case=case,
        viewer=contact,
        page_url=url,
        reply_url=reverse("portal:case_reply", args=[case.number]),
    )


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    contact = contact_of(request.user)
    cases = cases_visible_to(request.user) if contact is not None else Case.objects.none()
    cases = cases.order_by(F("last_activity_at").desc(nulls_last=True), "-pk")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/my_cases.html",
        {
            "page": page,
            "contact": contact,
            "is_agent": is_agent(request.user),
            "shows_account": bool(contact and contact.is_account_admin and contact.account_id),
        },
    )


@login_required
def case_detail(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return render_case(request, _conversation(request, number), DETAIL_TEMPLATE)


@require_POST
@login_required
def case_reply(request: HtmxHttpRequest, number: str) -> HttpResponse:
    conversation = _conversation(request, number)
    return post_reply(request, conversation, DETAIL_TEMPLATE, page_for=case_url)


@login_required
def case_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    return attachment_response(request, _conversation(request, number), attachment_id)
