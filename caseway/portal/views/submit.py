"""Home page and the new case form (a signed-in customer, or a visitor with an email)."""

from __future__ import annotations

from uuid import UUID, uuid4

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from caseway.cases.queries import contact_of
from caseway.connectors.messages import Sender
from caseway.core.kinds import AddressKind
from caseway.intake.exceptions import MessageRejected, NotEntitled
from caseway.intake.services import receive
from caseway.knowledge.feedback import note_case_opened, visitor_of
from caseway.portal.forms import AnonymousCaseForm, CaseForm
from caseway.portal.inbound import new_case_message, sender_for_contact
from caseway.portal.tokens import make_case_token
from caseway.portal.views.conversation import posted_provider_id, rejected_message


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"contact": contact_of(request.user)})


def new_case(request: HttpRequest) -> HttpResponse:
    """Show the form; on a valid submit hand one InboundMessage to intake.

    The provider id is minted when the form is rendered, so sending the same form twice is a
    replay that intake answers with the case it already opened.
    """
    contact = contact_of(request.user)
    form_class = CaseForm if contact is not None else AnonymousCaseForm
    provider_id: UUID = uuid4()
    if request.method != "POST":
        form = form_class()
    else:
        form = form_class(request.POST, request.FILES)
        provider_id = posted_provider_id(request)
        if form.is_valid():
            data = form.cleaned_data
            sender = (
                sender_for_contact(contact)
                if contact is not None
                else Sender(kind=AddressKind.EMAIL, address=data["email"], name=data["name"])
            )
            if sender is None:
                form.add_error(None, gettext("Your profile has no email address to write from."))
            else:
                message = new_case_message(
                    provider_id=provider_id,
                    sender=sender,
                    subject=data["subject"],
                    text=data["text"],
                    attachments=data["attachments"],
                    user_id=request.user.pk,
                )
                try:
                    result = receive(message)
                except NotEntitled as exc:
                    form.add_error(
                        None,
                        f"{exc} "
                        + gettext("Please contact your account manager to renew your contract."),
                    )
                    provider_id = uuid4()
                except MessageRejected:
                    form.add_error(None, rejected_message(bool(message.attachments)))
                    provider_id = uuid4()
                else:
                    # The suggested articles this visitor read did not deflect the case.
                    note_case_opened(visitor=visitor_of(request.session.session_key))
                    if contact is not None:
                        return redirect("portal:case_detail", result.case.number)
                    token = make_case_token(result.case)
                    return redirect(reverse("portal:case_submitted", args=[token]))
    return render(
        request,
        "portal/new_case.html",
        {"form": form, "provider_id": provider_id, "contact": contact},
    )
