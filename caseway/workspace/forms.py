"""Forms of the agent workspace: they parse input; services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from caseway.cases.models import (
    CASE_TRANSITIONS,
    Case,
    CasePriority,
    CaseStatus,
    Queue,
)
from caseway.cases.queries import agents_for_queue, is_agent
from caseway.connectors.registry import registered_kinds
from caseway.core.kinds import ChannelKind
from caseway.intake.services import reply_channel_for


class AgentAuthenticationForm(AuthenticationForm):
    """Sign-in that refuses people who are not agents, with a message that says so."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_agent": _(
            "This account cannot use the agent workspace. Customers sign in on the portal."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not is_agent(user):
            raise forms.ValidationError(self.error_messages["not_agent"], code="not_agent")


def next_statuses(case: Case) -> list[tuple[str, str]]:
    """The statuses `case` may move to, in workflow order, with their labels."""
    allowed = CASE_TRANSITIONS.get(case.status, frozenset())
    return [(value, str(label)) for value, label in CaseStatus.choices if value in allowed]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files under one name (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        clean_one = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [clean_one(item, initial) for item in items if item]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("Write a reply to the customer…")}
        ),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    status = forms.ChoiceField(label=_("Then set status"), required=False)
    channel = forms.ChoiceField(label=_("Send via"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)
        labels = dict(ChannelKind.choices)
        channel_field.choices = [(kind, labels.get(kind, kind)) for kind in registered_kinds()]
        channel_field.initial = reply_channel_for(case)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        # A reply to a new case makes it active unless another status is picked.
        choices = next_statuses(case)
        if case.status == CaseStatus.NEW:
            keep = _("Active")
            choices = [c for c in choices if c[0] != CaseStatus.ACTIVE]
        else:
            keep = _("Keep status")
        status_field.choices = [("", keep), *choices]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("Only agents see notes. Write one…")}
        ),
    )


class LogTimeForm(forms.Form):
    # The bounds are the service's (cases.services.log_time); checked here to explain them.
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=24 * 60,
        error_messages={
            "required": _("Enter the minutes you spent."),
            "invalid": _("Enter the minutes you spent as a whole number."),
            "min_value": _("Log at least one minute."),
            "max_value": _("Log at most 1440 minutes (a day) at a time."),
        },
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class LogCallForm(forms.Form):
    """A call made or taken outside Caseway (bounds are cases.telephony.log_call's)."""

    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("outbound", _("I called the customer")), ("inbound", _("The customer called"))],
    )
    minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=0,
        max_value=24 * 60,
        error_messages={
            "required": _("Enter how long the call lasted, in minutes."),
            "invalid": _("Enter the call's length as a whole number of minutes."),
            "min_value": _("A call cannot last less than nothing."),
            "max_value": _("A call lasts at most 1440 minutes (a day)."),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was said…")}),
    )


class StatusForm(forms.Form):
    # Every status parses; whether the case may go there is the service's decision.
    status = forms.ChoiceField(choices=CaseStatus.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=CasePriority.choices)


class MoveForm(forms.Form):
    queue = forms.ModelChoiceField(queryset=Queue.objects.order_by("name"))


class AssignForm(forms.Form):
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = agents_for_queue(case.queue)


STATUS_FILTERS: list[tuple[str, Any]] = [
    ("open", _("Open")),
    ("all", _("Any status")),
    *CaseStatus.choices,
]
OWNER_FILTERS: list[tuple[str, Any]] = [
    ("any", _("Anyone")),
    ("me", _("Me")),
    ("unassigned", _("Unassigned")),
]
SORTS: list[tuple[str, Any]] = [
    ("activity", _("Last activity")),
    ("created", _("Newest")),
    ("priority", _("Priority")),
]
CUSTOMER_CHANNELS = [(v, label) for v, label in ChannelKind.choices if v != ChannelKind.INTERNAL]


class CaseFilterForm(forms.Form):
    """The case list's filters. Unknown values fall back to the defaults, never to an error."""

    q = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Search subject, contact, email or number"),
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    priority = forms.ChoiceField(
        choices=[("", _("Any priority")), *CasePriority.choices], required=False
    )
    channel = forms.ChoiceField(
        choices=[("", _("Any channel")), *CUSTOMER_CHANNELS], required=False
    )
    queue = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(choices=OWNER_FILTERS, required=False)
    sort = forms.ChoiceField(choices=SORTS, required=False)

    DEFAULTS = {
        "q": "",
        "status": "open",
        "priority": "",
        "channel": "",
        "queue": "",
        "owner": "any",
        "sort": "activity",
    }

    def __init__(self, *args: Any, queues: list[Queue], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queue_field = self.fields["queue"]
        assert isinstance(queue_field, forms.ChoiceField)
        queue_field.choices = [("", _("All my queues")), *((q.slug, q.name) for q in queues)]

    def values(self) -> dict[str, str]:
        """The valid filters, with defaults for anything missing or invalid."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: (cleaned.get(name) or default) if name not in self.errors else default
            for name, default in self.DEFAULTS.items()
        }
