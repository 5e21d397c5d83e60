"""Admin screens for routing: skills, agents, capacity, queue methods and overflow, rules
(with the rule tester), and the read-only record of decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from caseway.cases.models import CasePriority
from caseway.core.kinds import ChannelKind
from caseway.customers.models import AccountSize
from caseway.routing.models import (
    AgentProfile,
    AgentSkill,
    CapacityProfile,
    QueueRouting,
    RoutingDecision,
    RoutingRule,
    RuleSkill,
    Skill,
)
from caseway.routing.tester import RuleTestForm, explain

LANGUAGES = [
    ("en", "English"), ("de", "German"), ("fr", "French"), ("es", "Spanish"),
    ("it", "Italian"), ("nl", "Dutch"), ("pt", "Portuguese"), ("pl", "Polish"),
]  # fmt: skip


class ListField(forms.MultipleChoiceField):
    """A JSON list edited as checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, choices: Any, **kwargs: Any) -> None:
        super().__init__(choices=choices, required=False, **kwargs)


class CommaListField(forms.CharField):
    """A JSON list of free words edited as "a, b, c"."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [v.strip() for v in (value or "").split(",") if v.strip()]


class RoutingRuleForm(forms.ModelForm):
    channels = ListField(choices=ChannelKind.choices, help_text="None ticked: every channel.")
    account_sizes = ListField(
        choices=[*AccountSize.choices, ("none", "No account")],
        help_text="None ticked: any account, or none.",
    )
    priorities = ListField(choices=CasePriority.choices, help_text="None ticked: any priority.")
    languages = ListField(choices=LANGUAGES, help_text="None ticked: any language.")
    products = CommaListField(required=False, help_text="Comma-separated; empty: any product.")

    class Meta:
        model = RoutingRule
        exclude: list[str] = []


class RuleSkillInline(admin.TabularInline):
    model = RuleSkill
    extra = 1
    autocomplete_fields = ["skill"]
    verbose_name = "required skill"


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["order", "name", "is_active", "queue", "set_priority"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "queue"]
    search_fields = ["name", "keywords"]
    inlines = [RuleSkillInline]
    change_list_template = "admin/routing/routingrule/change_list.html"
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active", "description"]}),
        (
            "When (all that are set must hold)",
            {
                "fields": [
                    "channels", "preferred", "account_sizes", "has_contract", "sla_policy",
                    "priorities", "languages", "keywords", "products", "business_hours",
                    "calendar",
                ]
            },
        ),
        ("Then", {"fields": ["queue", "set_priority"]}),
    ]  # fmt: skip

    def get_urls(self) -> list[URLPattern]:
        tester = path(
            "test/", self.admin_site.admin_view(self.rule_tester), name="routing_rule_tester"
        )
        return [tester, *super().get_urls()]

    def rule_tester(self, request: HttpRequest) -> HttpResponse:
        """Which rule a case (or a made-up message) matches, and why."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RuleTestForm(request.POST or None)
        result = (
            explain(form.cleaned_data) if request.method == "POST" and form.is_valid() else None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Rule tester",
            "opts": self.model._meta,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/routing/rule_tester.html", context)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    fk_name = "agent"
    extra = 1
    autocomplete_fields = ["skill"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["agent", "presence", "presence_changed_at", "last_assigned_at"]
    list_filter = ["presence", "capacity_profiles"]
    search_fields = ["agent__username", "agent__first_name", "agent__last_name"]
    filter_horizontal = ["capacity_profiles"]
    readonly_fields = ["presence_changed_at", "last_assigned_at"]
    raw_id_fields = ["agent"]


@admin.register(CapacityProfile)
class CapacityProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "work_kind", "max_units", "reset"]
    list_filter = ["work_kind", "reset"]


@admin.register(QueueRouting)
class QueueRoutingAdmin(admin.ModelAdmin):
    list_display = ["queue", "method", "priority", "work_kind", "overflow_action", "wait_action"]
    list_filter = ["method", "work_kind"]
    fieldsets = [
        (
            None,
            {"fields": ["queue", "method", "priority", "work_kind", "calendar", "max_declines"]},
        ),
        (
            "Overflow before queueing",
            {
                "fields": [
                    "overflow_max_items", "overflow_when_closed",
                    "overflow_max_expected_wait_minutes", "average_handle_minutes",
                    "overflow_action", "overflow_queue",
                ]
            },
        ),
        ("While queued", {"fields": ["wait_limit_minutes", "wait_action", "wait_queue"]}),
    ]  # fmt: skip

    def save_model(self, request: HttpRequest, obj: QueueRouting, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Compiled rule sets are keyed on the queues' last change: make this one count.
        type(obj.queue).objects.filter(pk=obj.queue_id).update(updated_at=timezone.now())


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "case", "kind", "summary", "queue", "agent"]
    list_filter = ["kind", "queue"]
    search_fields = ["summary"]
    raw_id_fields = ["case", "rule", "queue", "agent"]
    readonly_fields = [f.name for f in RoutingDecision._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
