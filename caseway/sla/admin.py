"""Admin for SLAs, written for a support manager: business calendars, SLA policies with their
targets and actions, contracts (entitlements), and the SLA timers of cases (read only).

Compiled policies are cached per process by version: every save that changes a policy, its
targets or actions, or a calendar a policy uses, gives those policies a new version here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caseway.cases.models import Case, CasePriority
from caseway.core.kinds import ChannelKind
from caseway.sla.models import (
    BusinessCalendar,
    BusinessHours,
    Entitlement,
    EntitlementCharge,
    EntitlementTerm,
    Holiday,
    SlaAction,
    SlaInstance,
    SlaPolicy,
    SlaTarget,
)
from caseway.sla.services import mark_policies_changed, policies_using_calendar

# Cases never arrive on the internal channel: it is not offered as a condition.
CASE_CHANNELS = [(value, label) for value, label in ChannelKind.choices if value != "internal"]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """Every timezone this machine knows, sorted (read once: it scans the tz database)."""
    return [(name, name) for name in sorted(available_timezones())]


def _in_choice_order(values: Iterable[str], choices: Sequence[tuple[str, Any]]) -> list[str]:
    chosen = set(values)
    return [value for value, _label in choices if value in chosen]


def _changed(form: forms.ModelForm[Any], formsets: Iterable[BaseFormSet[Any]]) -> bool:
    return form.has_changed() or any(formset.has_changed() for formset in formsets)


def _number(value: Decimal) -> str:
    """50.00 -> "50", 12.50 -> "12.5"."""
    return f"{value.normalize():f}"


class ChoiceListField(forms.MultipleChoiceField):
    """A JSON list of choice values, edited as checkboxes; kept in the order of the choices."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value: Any) -> list[str]:
        return _in_choice_order(super().clean(value), list(self.choices))  # type: ignore[arg-type]


class CommaSeparatedField(forms.CharField):
    """A JSON list of short names, edited as "Router X1, Mesh kit"."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        text = super().to_python(value) or ""
        names: list[str] = []
        for part in text.split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
        return names


# --- calendars -----------------------------------------------------------------------------


class BusinessCalendarForm(forms.ModelForm[BusinessCalendar]):
    timezone = forms.ChoiceField(
        label=gettext_lazy("timezone"),
        choices=timezone_choices,
        initial="UTC",
        help_text=gettext_lazy("Opening hours and holidays are local times of this timezone."),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "timezone", "is_24x7"]


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    fields = ["weekday", "opens_at", "closes_at"]
    verbose_name = gettext_lazy("opening hours")
    verbose_name_plural = gettext_lazy(
        "opening hours (a day may have several intervals, such as 09:00-12:00 and 13:00-17:00; "
        "a day without hours is closed)"
    )

    def get_extra(
        self, request: HttpRequest, obj: BusinessCalendar | None = None, **kwargs: Any
    ) -> int:
        return 5 if obj is None else 0  # a new calendar starts with Monday to Friday to fill


class HolidayInline(admin.TabularInline):
    model = Holiday
    fields = ["date", "name"]
    extra = 0
    verbose_name_plural = gettext_lazy("holidays (the clock does not run on these dates)")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "timezone", "is_24x7", "opening_hours", "policy_count"]
    list_filter = ["is_24x7"]
    search_fields = ["name"]
    inlines = [BusinessHoursInline, HolidayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BusinessCalendar]:
        return super().get_queryset(request).prefetch_related("hours", "policies")

    @admin.display(description=gettext_lazy("opening hours"))
    def opening_hours(self, calendar: BusinessCalendar) -> str:
        if calendar.is_24x7:
            return _("every hour")
        return "; ".join(str(hours) for hours in calendar.hours.all()) or _("closed")

    @admin.display(description=gettext_lazy("used by policies"))
    def policy_count(self, calendar: BusinessCalendar) -> int:
        return len(calendar.policies.all())

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm[BusinessCalendar],
        formsets: list[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        """Hours, holidays, timezone: the policies on this calendar must be compiled again."""
        super().save_related(request, form, formsets, change)
        if change and _changed(form, formsets):
            mark_policies_changed(policy_ids=policies_using_calendar(form.instance.pk))

    def delete_model(self, request: HttpRequest, obj: BusinessCalendar) -> None:
        # Policies protect their calendar, so none should use it; mark them if any do.
        policy_ids = policies_using_calendar(obj.pk)
        super().delete_model(request, obj)
        mark_policies_changed(policy_ids=policy_ids)


# --- policies ------------------------------------------------------------------------------


class SlaPolicyForm(forms.ModelForm[SlaPolicy]):
    channels = ChoiceListField(
        label=gettext_lazy("applies to channels"),
        choices=CASE_CHANNELS,
        required=False,
        help_text=gettext_lazy("None ticked: every channel."),
    )
    priorities = ChoiceListField(
        label=gettext_lazy("applies to priorities"),
        choices=CasePriority.choices,
        required=False,
        help_text=gettext_lazy("None ticked: every priority."),
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "description",
            "calendar",
            "pause_when_waiting",
            "pause_when_on_hold",
            "reopen_restarts",
            "channels",
            "priorities",
        ]


class SlaTargetForm(forms.ModelForm[SlaTarget]):
    class Meta:
        model = SlaTarget
        fields = ["kpi", "priority", "tier", "target_minutes", "warn_before_minutes"]
        help_texts = {
            "priority": gettext_lazy("Empty: any priority."),
            "tier": gettext_lazy("Preferred: the contact or their account is preferred."),
            "target_minutes": gettext_lazy(
                "Business minutes: only time when the policy's calendar is open counts "
                "(480 = one 8-hour working day). Without a calendar every minute counts."
            ),
            "warn_before_minutes": gettext_lazy(
                "The 'nearing breach' actions run this many business minutes before the "
                "target. 0: no warning."
            ),
        }


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    form = SlaTargetForm
    extra = 0
    verbose_name_plural = gettext_lazy(
        "targets (in business minutes; the most specific target for a case's priority and "
        "tier wins)"
    )


class SlaActionInline(admin.TabularInline):
    model = SlaAction
    fields = ["kpi", "moment", "kind", "queue"]
    extra = 0
    verbose_name_plural = gettext_lazy(
        "actions (what happens when a KPI nears or misses its target)"
    )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = ["name", "clock", "conditions", "target_count", "version", "updated_at"]
    list_filter = ["calendar"]
    search_fields = ["name", "description"]
    readonly_fields = ["version"]
    inlines = [SlaTargetInline, SlaActionInline]
    fieldsets = [
        (None, {"fields": ["name", "description", "version"]}),
        (
            gettext_lazy("Clock"),
            {
                "fields": [
                    "calendar",
                    "pause_when_waiting",
                    "pause_when_on_hold",
                    "reopen_restarts",
                ],
                "description": gettext_lazy(
                    "Targets count business minutes on this calendar (no calendar: 24x7). "
                    "Time spent waiting on the customer or on hold can be left out."
                ),
            },
        ),
        (
            gettext_lazy("Applies to"),
            {
                "fields": ["channels", "priorities"],
                "description": gettext_lazy(
                    "A contract's cases get this policy only on these channels and priorities; "
                    "otherwise the next contract that fits (finally the default) applies."
                ),
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaPolicy]:
        return super().get_queryset(request).select_related("calendar").prefetch_related("targets")

    @admin.display(description=gettext_lazy("clock"), ordering="calendar__name")
    def clock(self, policy: SlaPolicy) -> str:
        return policy.calendar.name if policy.calendar else _("24x7")

    @admin.display(description=gettext_lazy("applies to"))
    def conditions(self, policy: SlaPolicy) -> str:
        channels = ", ".join(str(ChannelKind(c).label) for c in policy.channels if c in ChannelKind)
        priorities = ", ".join(
            str(CasePriority(p).label) for p in policy.priorities if p in CasePriority
        )
        return " / ".join([channels or _("every channel"), priorities or _("every priority")])

    @admin.display(description=gettext_lazy("targets"))
    def target_count(self, policy: SlaPolicy) -> int:
        return len(policy.targets.all())

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm[SlaPolicy],
        formsets: list[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        """After the policy, its targets and actions are saved: a new version, so every
        process compiles the policy again (running timers keep their targets)."""
        super().save_related(request, form, formsets, change)
        if change and _changed(form, formsets):
            mark_policies_changed(policy_ids=[form.instance.pk])


# --- entitlements --------------------------------------------------------------------------


class EntitlementForm(forms.ModelForm[Entitlement]):
    channels = ChoiceListField(
        label=gettext_lazy("channels covered"),
        choices=CASE_CHANNELS,
        required=False,
        help_text=gettext_lazy("None ticked: every channel."),
    )
    products = CommaSeparatedField(
        label=gettext_lazy("products covered"),
        required=False,
        help_text=gettext_lazy("Product names separated by commas. Empty: every product."),
    )

    class Meta:
        model = Entitlement
        fields = [
            "name",
            "account",
            "contact",
            "is_default",
            "is_active",
            "starts_on",
            "ends_on",
            "policy",
            "term",
            "total",
            "remaining",
            "decrement_on",
            "on_exhausted",
            "channels",
            "products",
        ]
        help_texts = {
            "total": gettext_lazy("Cases or hours the contract grants (not used when unlimited)."),
            "remaining": gettext_lazy(
                "Left to use. Leave 0 on a new contract to start with everything granted."
            ),
            "decrement_on": gettext_lazy(
                "Cases can be counted when created or when resolved; hours (time logged on "
                "the case) only when resolved."
            ),
        }


class EntitlementChargeInline(admin.TabularInline):
    model = EntitlementCharge
    fields = readonly_fields = ("case", "amount", "at")
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("used by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    form = EntitlementForm
    list_display = [
        "name",
        "customer",
        "policy",
        "term",
        "left",
        "dates",
        "is_active",
    ]
    list_filter = ["is_active", "term", "on_exhausted", "policy", "is_default"]
    search_fields = ["name", "account__name", "contact__name", "contact__email"]
    list_select_related = ["account", "contact", "policy"]
    autocomplete_fields = ["account", "contact"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "account",
                    "contact",
                    "is_default",
                    "is_active",
                    "starts_on",
                    "ends_on",
                    "policy",
                ],
                "description": gettext_lazy(
                    "A contract belongs to an account (all its contacts) or to one contact; "
                    "a contact's own contract comes before the account's."
                ),
            },
        ),
        (
            gettext_lazy("Terms"),
            {"fields": ["term", "total", "remaining", "decrement_on", "on_exhausted"]},
        ),
        (gettext_lazy("Coverage"), {"fields": ["channels", "products"]}),
    ]

    def get_inlines(self, request: HttpRequest, obj: Entitlement | None) -> list[type[Any]]:
        return [EntitlementChargeInline] if obj is not None else []

    @admin.display(description=gettext_lazy("customer"))
    def customer(self, entitlement: Entitlement) -> str:
        if entitlement.contact is not None:
            return str(entitlement.contact)
        if entitlement.account is not None:
            return str(entitlement.account)
        return _("everyone without a contract") if entitlement.is_default else "-"

    @admin.display(description=gettext_lazy("left"), ordering="remaining")
    def left(self, entitlement: Entitlement) -> str:
        if not entitlement.is_limited:
            return "-"
        unit = _("cases") if entitlement.term == EntitlementTerm.CASES else _("hours")
        return _("%(remaining)s of %(total)s %(unit)s") % {
            "remaining": _number(entitlement.remaining),
            "total": _number(entitlement.total),
            "unit": unit,
        }

    @admin.display(description=gettext_lazy("dates"), ordering="starts_on")
    def dates(self, entitlement: Entitlement) -> str:
        if entitlement.ends_on is None:
            return _("from %(starts)s") % {"starts": f"{entitlement.starts_on:%Y-%m-%d}"}
        return f"{entitlement.starts_on:%Y-%m-%d} - {entitlement.ends_on:%Y-%m-%d}"

    def save_model(
        self,
        request: HttpRequest,
        obj: Entitlement,
        form: forms.ModelForm[Entitlement],
        change: bool,
    ) -> None:
        """A new limited contract left at 0 remaining starts with everything it grants."""
        if not change and obj.is_limited and obj.remaining == 0 and obj.total > 0:
            obj.remaining = obj.total
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Entitlement | None = None) -> bool:
        # The default entitlement must exist: customers without a contract get it.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


# --- SLA timers (read only) ----------------------------------------------------------------


@admin.register(SlaInstance)
class SlaInstanceAdmin(admin.ModelAdmin):
    """Every KPI timer of every case, for support looking into a breach."""

    list_display = [
        "case_number",
        "kpi",
        "status",
        "policy",
        "started_at",
        "due_at",
        "completed_at",
    ]
    list_filter = ["kpi", "status", "policy"]
    search_fields = ["case__subject"]
    search_help_text = gettext_lazy("A case number (CW-00042 or 42), or words of its subject.")
    list_select_related = ["case", "policy"]
    date_hierarchy = "started_at"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[SlaInstance], search_term: str
    ) -> tuple[QuerySet[SlaInstance], bool]:
        case_id = Case.pk_from_number(search_term) if search_term else None
        if case_id is not None:
            return queryset.filter(case_id=case_id), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=gettext_lazy("case"), ordering="case_id")
    def case_number(self, timer: SlaInstance) -> str:
        return timer.case.number

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
