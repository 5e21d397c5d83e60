"""A case's public conversation: shown and answered the same way on a signed-in customer's
case page and on a visitor's private link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from caseway.cases.models import PUBLIC_ACTIVITY_KINDS, Activity, Attachment, Case, CaseStatus
from caseway.cases.queries import timeline_for
from caseway.core.downloads import file_download
from caseway.customers.models import Contact
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import receive
from caseway.portal.forms import ReplyForm
from caseway.portal.inbound import reply_message, sender_for_contact

CASE_TEMPLATE = "portal/_case.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Conversation:
    """One case as a customer sees it, and where its page and reply form live."""

    case: Case
    viewer: Contact | None  # whose messages read as "You"
    page_url: str
    reply_url: str
    link_token: str = ""


def public_timeline(user: AbstractBaseUser | AnonymousUser, case: Case) -> QuerySet[Activity]:
    """Messages the customer may read. The portal never shows internal entries, even to a
    staff member who opens a customer's page."""
    return timeline_for(user, case).filter(is_public=True, kind__in=PUBLIC_ACTIVITY_KINDS)


def posted_provider_id(request: HttpRequest) -> UUID:
    """The provider id the form was rendered with, or a fresh one if it is missing or bad."""
    try:
        return UUID(request.POST.get("provider_id", ""))
    except ValueError:
        return uuid4()


def render_case(
    request: HtmxHttpRequest,
    conversation: Conversation,
    template: str,
    *,
    form: ReplyForm | None = None,
    provider_id: UUID | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The full page, or only the case panel for an htmx request."""
    case = conversation.case
    context = {
        "case": case,
        "conversation": conversation,
        "timeline": public_timeline(request.user, case),
        "reply_form": form or ReplyForm(),
        "provider_id": provider_id or uuid4(),
        "is_cancelled": case.status == CaseStatus.CANCELLED,
        "is_resolved": case.status == CaseStatus.RESOLVED,
        **(extra or {}),
    }
    response = render(request, CASE_TEMPLATE if request.htmx else template, context)
    response["Cache-Control"] = "private, no-store"
    return response


def post_reply(
    request: HtmxHttpRequest,
    conversation: Conversation,
    template: str,
    *,
    page_for: Callable[[Case], str],
) -> HttpResponse:
    """Send a reply through intake; answer with the refreshed case, or the form and errors.

    A customer replying to a resolved case reopens it (intake decides); a cancelled case is
    never reopened, intake opens a new one and the visitor is taken there.
    """
    case = conversation.case
    form = ReplyForm(request.POST, request.FILES)
    provider_id = posted_provider_id(request)
    if form.is_valid():
        sender = sender_for_contact(conversation.viewer or case.contact)
        if sender is None:
            form.add_error(None, gettext("Your profile has no email address to reply from."))
        else:
            message = reply_message(
                provider_id=provider_id,
                sender=sender,
                case=case,
                text=form.cleaned_data["text"],
                attachments=form.cleaned_data["attachments"],
                user_id=request.user.pk,
            )
            try:
                result = receive(message)
            except MessageRejected:
                form.add_error(None, rejected_message(bool(message.attachments)))
                provider_id = uuid4()  # the rejected message stays on record under its id
            else:
                if result.case.pk != case.pk:
                    url = page_for(result.case)
                    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
                if not request.htmx:
                    return redirect(conversation.page_url + "#latest")
                case.refresh_from_db()
                return render_case(request, conversation, template)
    return render_case(request, conversation, template, form=form, provider_id=provider_id)


def rejected_message(had_files: bool) -> str:
    message = gettext("We could not accept this message. Please check it and send it again.")
    if had_files:
        message += " " + gettext("Attach your files again before you send.")
    return message


def attachment_response(
    request: HttpRequest, conversation: Conversation, attachment_id: int
) -> FileResponse:
    """Download a file of a public message of the case."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            case=conversation.case,
            activity__in=public_timeline(request.user, conversation.case),
        )
        .only("file", "filename", "content_type")
        .first()
    )
    if attachment is None:
        raise Http404
    return file_download(
        file=attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
