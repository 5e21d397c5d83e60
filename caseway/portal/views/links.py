"""A visitor's private link: one case, its public timeline and a reply form, no login."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from caseway.cases.models import Case
from caseway.portal.tokens import case_from_token, make_case_token
from caseway.portal.views.conversation import (
    Conversation,
    HtmxHttpRequest,
    attachment_response,
    post_reply,
    render_case,
)

LINK_TEMPLATE = "portal/case_link.html"


def link_url(case: Case) -> str:
    return reverse("portal:case_link", args=[make_case_token(case)])


def _conversation(token: str) -> Conversation:
    try:
        case = case_from_token(token)
    except Case.DoesNotExist as exc:
        raise Http404 from exc
    return Conversation(
        case=case,
        viewer=case.contact,
        page_url=reverse("portal:case_link", args=[token]),
        reply_url=reverse("portal:case_link_reply", args=[token]),
        link_token=token,
    )


def case_link(request: HtmxHttpRequest, token: str) -> HttpResponse:
    return render_case(request, _conversation(token), LINK_TEMPLATE)


@require_POST
def case_link_reply(request: HtmxHttpRequest, token: str) -> HttpResponse:
    return post_reply(request, _conversation(token), LINK_TEMPLATE, page_for=link_url)


def case_link_attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    return attachment_response(request, _conversation(token), attachment_id)


def case_submitted(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The confirmation after a visitor's new case: its number and their private link."""
    conversation = _conversation(token)
    link = request.build_absolute_uri(conversation.page_url)
    return render_case(
        request, conversation, "portal/case_submitted.html", extra={"private_link": link}
    )
