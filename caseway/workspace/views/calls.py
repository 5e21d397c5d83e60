"""Calls an agent logs by hand on a case: direction, duration and a note."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caseway.cases import telephony as case_telephony
from caseway.cases.exceptions import CaseError
from caseway.workspace.access import agent_of, agent_required, case_or_404
from caseway.workspace.forms import LogCallForm
from caseway.workspace.views.case_actions import _done, _form_error, _refused, explain


@agent_required
@require_POST
def log_call(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    form = LogCallForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, case, _form_error(form), include_composer=True, composer_mode="call",
            log_call_form=form,
        )  # fmt: skip
    try:
        case_telephony.log_call(
            case=case,
            agent=agent_of(request),
            direction=form.cleaned_data["direction"],
            duration_seconds=form.cleaned_data["minutes"] * 60,
            note=form.cleaned_data["note"],
            number=case.contact.phone,
        )
    except CaseError as exc:
        return _refused(
            request, case, explain(exc), include_composer=True, composer_mode="call",
            log_call_form=form,
        )  # fmt: skip
    return _done(request, number, _("Call logged."), include_composer=True, composer_mode="call")
