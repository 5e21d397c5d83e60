"""Skills, presence and capacity of agents; routing rules; how each queue assigns and
overflows; offers and the record of every routing decision."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.cases.models import Case, CasePriority, Queue
from caseway.core.models import TimestampedModel
from caseway.sla.models import BusinessCalendar, SlaPolicy


class Skill(TimestampedModel):
    """Something an agent is qualified for: a product, a language, a certification."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentSkill(models.Model):
    """An agent's proficiency in a skill, 1 (beginner) to 5 (expert)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")
    proficiency = models.PositiveSmallIntegerField(
        _("proficiency"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_once"),
            models.CheckConstraint(
                condition=models.Q(proficiency__gte=1, proficiency__lte=5),
                name="agent_skill_proficiency_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.proficiency})"


class Presence(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    DO_NOT_DISTURB = "dnd", _("Do not disturb")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class WorkKind(models.TextChoices):
    CASE = "case", _("Cases")
    CHAT = "chat", _("Chats")


class CapacityReset(models.TextChoices):
    IMMEDIATE = "immediate", _("When the work is done")
    END_OF_DAY = "end_of_day", _("At the end of the day")


class CapacityProfile(TimestampedModel):
    """How much of one kind of work an agent takes: e.g. 3 chats at once, or 20 cases a day."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    work_kind = models.CharField(
        _("kind of work"), max_length=10, choices=WorkKind.choices, default=WorkKind.CASE
    )
    max_units = models.PositiveIntegerField(_("at most"), default=10)
    reset = models.CharField(
        _("capacity comes back"),
        max_length=12,
        choices=CapacityReset.choices,
        default=CapacityReset.IMMEDIATE,
    )

    class Meta:
        ordering = ["work_kind", "name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.max_units} {self.get_work_kind_display().lower()}"


class AgentProfile(TimestampedModel):
    """An agent as routing sees them: presence, capacity profiles, working hours."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_profile"
    )
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(null=True, blank=True)
    is_auto_busy = models.BooleanField(
        default=False, editable=False, help_text=_("Set busy by Caseway at full capacity.")
    )
    capacity_profiles = models.ManyToManyField(CapacityProfile, blank=True, related_name="agents")
    working_hours = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Outside these hours the agent gets no offers. Empty: any time."),
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.agent} ({self.get_presence_display()})"


class AgentLoad(models.Model):
    """How much work of one kind an agent holds now (and got today). Locked while assigning,
    so parallel assigners never push an agent past capacity."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_loads"
    )
    work_kind = models.CharField(max_length=10, choices=WorkKind.choices)
    active = models.PositiveIntegerField(default=0)
    assigned_today = models.PositiveIntegerField(default=0)
    day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "work_kind"], name="agent_load_once")
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.active} {self.work_kind}"


class AssignmentMethod(models.TextChoices):
    HIGHEST_CAPACITY = "highest_capacity", _("Highest available capacity")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_ACTIVE = "least_active", _("Least active (longest idle)")
    MANUAL = "manual", _("Agents pick by hand")


class OverflowAction(models.TextChoices):
    NONE = "", _("Nothing")
    MOVE_QUEUE = "move_queue", _("Move to another queue")
    RAISE_PRIORITY = "raise_priority", _("Raise priority one step")
    NOTIFY = "notify", _("Notify the supervisors")


class QueueRouting(models.Model):
    """How a queue hands out its cases and what happens when it is overwhelmed."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="routing")
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Agents in several queues get higher ones first.")
    )
    method = models.CharField(
        _("assignment"),
        max_length=20,
        choices=AssignmentMethod.choices,
        default=AssignmentMethod.HIGHEST_CAPACITY,
    )
    work_kind = models.CharField(
        _("kind of work"), max_length=10, choices=WorkKind.choices, default=WorkKind.CASE
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The queue's opening hours. Empty: always open."),
    )
    max_declines = models.PositiveSmallIntegerField(
        _("offers before it waits in the queue"), default=3
    )
    last_assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Overflow before queueing.
    overflow_max_items = models.PositiveIntegerField(
        _("overflow above this many waiting cases"), null=True, blank=True
    )
    overflow_when_closed = models.BooleanField(_("overflow outside opening hours"), default=False)
    overflow_max_expected_wait_minutes = models.PositiveIntegerField(
        _("overflow when the expected wait is longer than (minutes)"), null=True, blank=True
    )
    average_handle_minutes = models.PositiveIntegerField(
        _("average handling time (minutes)"),
        default=30,
        help_text=_("Used to estimate the expected wait."),
    )
    overflow_action = models.CharField(
        _("overflow action"), max_length=20, choices=OverflowAction.choices, blank=True
    )
    overflow_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Overflow while queued.
    wait_limit_minutes = models.PositiveIntegerField(
        _("act when a case waits longer than (minutes)"), null=True, blank=True
    )
    wait_action = models.CharField(
        _("then"), max_length=20, choices=OverflowAction.choices, blank=True
    )
    wait_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "queue routing"

    def __str__(self) -> str:
        return f"Routing of {self.queue}"


class Choice3(models.TextChoices):
    ANY = "", _("Any")
    YES = "yes", _("Yes")
    NO = "no", _("No")


class BusinessHoursCondition(models.TextChoices):
    ANY = "", _("Any time")
    OPEN = "open", _("Within business hours")
    CLOSED = "closed", _("Outside business hours")


class RoutingRule(TimestampedModel):
    """Where a new case goes: the first active rule, in order, whose conditions all hold.

    Empty conditions hold for every case. `version` bumps on every edit, so processes may cache
    the compiled rule set.
    """

    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=100, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    # Conditions.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    preferred = models.CharField(
        _("preferred customer"), max_length=3, choices=Choice3.choices, blank=True
    )
    account_sizes = models.JSONField(_("account sizes"), default=list, blank=True)
    has_contract = models.CharField(
        _("has a contract"), max_length=3, choices=Choice3.choices, blank=True
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Only cases under this SLA policy."),
    )
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    keywords = models.TextField(
        _("words in subject or text"),
        blank=True,
        help_text=_("Comma-separated; any one matches (case-insensitive, whole words)."),
    )
    products = models.JSONField(_("products"), default=list, blank=True)
    business_hours = models.CharField(
        _("business hours"), max_length=10, choices=BusinessHoursCondition.choices, blank=True
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The business hours the condition above refers to."),
    )
    # Actions.
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="routing_rules")
    set_priority = models.CharField(
        _("set priority"), max_length=10, choices=CasePriority.choices, blank=True
    )

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class RuleSkill(models.Model):
    """A skill a rule requires of the agent who gets the case."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    min_proficiency = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "skill"], name="rule_skill_once")]

    def __str__(self) -> str:
        return f"{self.skill} >= {self.min_proficiency}"


class CaseRequirement(models.Model):
    """A skill a case needs (from the rule that routed it), kept for assignment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="skill_requirements")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    min_proficiency = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "skill"], name="case_requirement_once")
        ]

    def __str__(self) -> str:
        return f"{self.skill} >= {self.min_proficiency}"


class OfferStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offer(models.Model):
    """A case given to an agent by assignment; they keep it unless they decline it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_offers"
    )
    status = models.CharField(
        max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED
    )
    offered_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="offered"),
                name="one_open_offer_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.agent} ({self.status})"


class DecisionKind(models.TextChoices):
    ROUTE = "route", _("Routed")
    ASSIGN = "assign", _("Assigned")
    WAIT = "wait", _("Waits in queue")
    DECLINE = "decline", _("Declined")
    OVERFLOW = "overflow", _("Overflowed")
    RELEASE = "release", _("Back to queue")


class RoutingDecision(models.Model):
    """Why a case went where it went: the rule that matched, the candidates considered with
    their scores, why the winner won. Shown in the case view."""

    # Indexed by (case, created_at) in Meta, which serves lookups by case alone.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="routing_decisions", db_index=False
    )
    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    explanation = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="routing_decision_case")]

    def __str__(self) -> str:
        return self.summary


class AgentCall(models.Model):
    """An agent took a customer's phone call about a case: the workspace pops the case open
    for them (the newest one they have not seen)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taken_calls"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="agent_calls")
    call_sid = models.CharField(max_length=64)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["-answered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["call_sid", "agent"], name="agent_call_once")
        ]

    def __str__(self) -> str:
        return f"{self.agent} took {self.call_sid}"
