"""The customer view: one person's details, identities, cases and one timeline across every
channel; merge suggestions, merge and unmerge, correcting contact details.

An agent sees a contact only when they may see one of its cases (admins see every contact):
`cases.queries.get_contact_for_user`; anything else is a 404. Merging, unmerging and
dismissing need the `customers.merge_contact` permission (403 without). A refused merge
re-renders the page with the reason and status 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from caseway.cases.merging import merge_contacts, unmerge_contacts
from caseway.cases.models import Case
from caseway.cases.queries import (
    cases_of_contact,
    customer_timeline,
    get_contact_for_user,
    is_admin,
    merge_suggestions_visible_to,
    merges_of_contact,
)
from caseway.core.kinds import AddressKind
from caseway.customers.exceptions import CustomerError, MergeRefused, NotAllowedToMerge
from caseway.customers.merging import can_merge_contacts
from caseway.customers.models import Contact, ContactMerge
from caseway.customers.suggestions import dismiss_suggestion, update_contact_details
from caseway.workspace.access import agent_of, agent_required
from caseway.workspace.views.shell import shell_context

TIMELINE_PAGE = 25
CASES_SHOWN = 50
SUGGESTIONS_SHOWN = 100

# Which icon and label an identity of each kind shows (icons of workspace/_icons.html).
IDENTITY_ICONS: dict[str, str] = {
    AddressKind.EMAIL: "email",
    AddressKind.PHONE: "sms",
    AddressKind.FACEBOOK: "facebook",
    AddressKind.X: "x",
    AddressKind.WEB: "portal",
}


class ContactDetailsForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)


def _contact_or_404(request: HttpRequest, contact_id: int) -> Contact:
    try:
        return get_contact_for_user(request.user, contact_id)
    except Contact.DoesNotExist:
        raise Http404("No such contact") from None


def _cursor(activity: Any) -> str:
    return f"{activity.created_at.isoformat()}_{activity.pk}"


def _parse_cursor(text: str) -> tuple[datetime, int] | None:
    at, _sep, pk = text.rpartition("_")
    try:
        return datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None


def _timeline_page(
    request: HttpRequest, contact: Contact, before: tuple[datetime, int] | None = None
) -> dict[str, Any]:
    everything = request.GET.get("all") == "1"
    entries = customer_timeline(
        request.user, contact, before=before, limit=TIMELINE_PAGE + 1, everything=everything
    )
    has_more = len(entries) > TIMELINE_PAGE
    entries = entries[:TIMELINE_PAGE]
    return {
        "entries": entries,
        "everything": everything,
        "next_cursor": _cursor(entries[-1]) if has_more else "",
    }


def customer_context(
    request: HttpRequest, contact: Contact, form: ContactDetailsForm | None = None
) -> dict[str, Any]:
    """Everything the customer view renders; a constant number of queries."""
    user = request.user
    cases = list(cases_of_contact(user, contact)[: CASES_SHOWN + 1])
    visible_count = len(cases)
    if visible_count > CASES_SHOWN:
        visible_count = cases_of_contact(user, contact).count()
    all_count = (
        visible_count if is_admin(user) else Case.objects.filter(contact_id=contact.pk).count()
    )
    suggestions = list(
        merge_suggestions_visible_to(user).filter(Q(contact_id=contact.pk) | Q(other_id=contact.pk))
    )
    identities = list(contact.identities.order_by("kind", "address"))
    return {
        "contact": contact,
        "identities": [(IDENTITY_ICONS.get(i.kind, "user"), i) for i in identities],
        "cases": cases[:CASES_SHOWN],
        "open_count": sum(1 for case in cases if case.is_open),
        "visible_count": visible_count,
        "hidden_count": max(all_count - visible_count, 0),
        "suggestions": [
            (s, s.other if s.contact_id == contact.pk else s.contact) for s in suggestions
        ],
        "merges": merges_of_contact(contact),
        "can_merge": can_merge_contacts(agent_of(request)),
        "details_form": form
        or ContactDetailsForm(
            initial={"name": contact.name, "email": contact.email, "phone": contact.phone}
        ),
        **_timeline_page(request, contact),
    }


def _render_customer(
    request: HttpRequest,
    contact: Contact,
    *,
    status: int = 200,
    form: ContactDetailsForm | None = None,
) -> HttpResponse:
    context = customer_context(request, contact, form)
    context.update(shell_context(request, active_view="customers"))
    return render(request, "workspace/customer_detail.html", context, status=status)


def _back(contact: Contact) -> HttpResponse:
    return redirect(reverse("workspace:customer", args=[contact.pk]))


@agent_required
@require_GET
def customer_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    if contact.merged_into_id is not None:
        messages.info(
            request,
            _("%(name)s was merged into %(survivor)s.")
            % {"name": contact, "survivor": contact.merged_into},
        )
        return _back(contact.merged_into)  # type: ignore[arg-type]
    return _render_customer(request, contact)


@agent_required
@require_GET
def customer_timeline_page(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The next page of the timeline ("Show older"), for htmx to append."""
    contact = _contact_or_404(request, contact_id)
    before = _parse_cursor(request.GET.get("before", ""))
    if before is None:
        return HttpResponseBadRequest("before must be <ISO time>_<id>")
    context = {"contact": contact, **_timeline_page(request, contact, before)}
    return render(request, "workspace/_customer_timeline_page.html", context)


@agent_required
@require_GET
def suggestion_list(request: HttpRequest) -> HttpResponse:
    """Open merge suggestions of contacts the agent may see."""
    suggestions = [
        (s, (s.contact, s.other))
        for s in merge_suggestions_visible_to(request.user)[:SUGGESTIONS_SHOWN]
    ]
    context = {"suggestions": suggestions, "can_merge": can_merge_contacts(agent_of(request))}
    context.update(shell_context(request, active_view="customers"))
    return render(request, "workspace/customer_suggestions.html", context)


def _refused(request: HttpRequest, contact: Contact, error: CustomerError) -> HttpResponse:
    if isinstance(error, NotAllowedToMerge):
        return render(request, "workspace/forbidden.html", status=403)
    messages.error(request, str(error))
    return _render_customer(request, contact, status=409)


@agent_required
@require_POST
def merge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Merge the contact named in the form (`merged`) into this one."""
    survivor = _contact_or_404(request, contact_id)
    try:
        merged_id = int(request.POST.get("merged", ""))
    except ValueError:
        return HttpResponseBadRequest("merged must be a contact id")
    merged = _contact_or_404(request, merged_id)
    try:
        merge_contacts(survivor=survivor, merged=merged, actor=agent_of(request))
    except MergeRefused as error:
        return _refused(request, survivor, error)
    messages.success(
        request,
        _("%(merged)s was merged into %(survivor)s.") % {"merged": merged, "survivor": survivor},
    )
    return _back(survivor)


@agent_required
@require_POST
def unmerge(request: HttpRequest, contact_id: int, merge_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    record = get_object_or_404(
        ContactMerge.objects.select_related("merged"),
        pk=merge_id,
        survivor_id=contact.pk,
    )
    try:
        unmerge_contacts(merge=record, actor=agent_of(request))
    except MergeRefused as error:
        return _refused(request, contact, error)
    messages.success(
        request,
        _("The merge was undone: %(merged)s is a contact of their own again.")
        % {"merged": record.merged},
    )
    return _back(contact)


@agent_required
@require_POST
def dismiss(request: HttpRequest, contact_id: int, suggestion_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    visible = merge_suggestions_visible_to(request.user).filter(pk=suggestion_id)
    suggestion = visible.filter(contact_id=contact.pk).first() or get_object_or_404(
        visible, other_id=contact.pk
    )
    try:
        dismiss_suggestion(suggestion=suggestion, actor=agent_of(request))
    except CustomerError as error:
        return _refused(request, contact, error)
    messages.success(request, _("Noted: they are different people. We will not suggest it again."))
    if request.POST.get("next") == "suggestions":
        return redirect(reverse("workspace:customer_suggestions"))
    return _back(contact)


@agent_required
@require_POST
def edit_details(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    form = ContactDetailsForm(request.POST)
    if not form.is_valid():
        return _render_customer(request, contact, status=422, form=form)
    _contact, suggestions = update_contact_details(
        contact=contact,
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        phone=form.cleaned_data["phone"],
        actor=agent_of(request),
    )
    if suggestions:
        messages.info(request, _("These details match another contact: see the suggestion."))
    else:
        messages.success(request, _("Contact details saved."))
    return _back(contact)
