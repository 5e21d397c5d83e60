"""Business calendars, SLA policies (KPI targets and actions), entitlements and SLA timers."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.cases.models import Case, CasePriority, Queue
from caseway.core.models import TimestampedModel
from caseway.customers.models import Account, Contact


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known timezone"), params={"value": value})


class BusinessCalendar(TimestampedModel):
    """When the clock of an SLA runs: weekly hours in a timezone, minus holidays; or 24x7."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    timezone = models.CharField(
        _("timezone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    is_24x7 = models.BooleanField(
        _("open 24x7"), default=False, help_text=_("Every hour counts; hours and holidays ignored.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(models.Model):
    """One open interval of a weekday, in the calendar's local time."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens"), default=time(9))
    closes_at = models.TimeField(
        _("closes"), default=time(17), help_text=_("00:00 means midnight at the end of the day.")
    )

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    def clean(self) -> None:
        if self.closes_at != time(0) and self.closes_at <= self.opens_at:
            raise ValidationError(_("An interval must close after it opens."))


class Holiday(models.Model):
    """A local date on which the calendar's clock does not run."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SlaKpi(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class ReopenRule(models.TextChoices):
    RESOLUTION = "resolution", _("Restart resolution")
    RESOLUTION_AND_RESPONSE = "resolution_and_response", _("Restart resolution and response")
    NOTHING = "nothing", _("Restart nothing")


class SlaPolicy(TimestampedModel):
    """What a customer is promised: KPI targets on a business calendar, and what happens
    when a KPI nears or misses its target.

    `version` changes whenever the policy, its targets, actions or calendar change, so a
    process may cache a compiled policy by (id, version).
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text=_("Leave empty for a 24x7 clock."),
    )
    pause_when_waiting = models.BooleanField(_("pause while waiting on the customer"), default=True)
    pause_when_on_hold = models.BooleanField(_("pause while on hold"), default=True)
    reopen_restarts = models.CharField(
        _("when a resolved case reopens"),
        max_length=30,
        choices=ReopenRule.choices,
        default=ReopenRule.RESOLUTION,
    )
    channels = models.JSONField(
        _("applies to channels"), default=list, blank=True, help_text=_("Empty: every channel.")
    )
    priorities = models.JSONField(
        _("applies to priorities"), default=list, blank=True, help_text=_("Empty: every priority.")
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class CustomerTier(models.TextChoices):
    ANY = "", _("Any customer")
    PREFERRED = "preferred", _("Preferred")
    STANDARD = "standard", _("Not preferred")


class SlaTarget(models.Model):
    """How long a KPI may take, for a priority and a customer tier (blank: any)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    kpi = models.CharField(_("KPI"), max_length=20, choices=SlaKpi.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority.choices, blank=True
    )
    tier = models.CharField(_("tier"), max_length=10, choices=CustomerTier.choices, blank=True)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    warn_before_minutes = models.PositiveIntegerField(
        _("warn this many minutes before"), default=15
    )

    class Meta:
        ordering = ["kpi", "priority", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "kpi", "priority", "tier"], name="sla_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kpi_display()}: {self.target_minutes} min"

    def clean(self) -> None:
        if self.target_minutes == 0:
            raise ValidationError(_("A target must be at least one minute."))


class SlaMoment(models.TextChoices):
    WARNING = "warning", _("Nearing breach")
    BREACH = "breach", _("Breached")


class SlaActionKind(models.TextChoices):
    RAISE_PRIORITY = "raise_priority", _("Raise priority one step")
    NOTIFY = "notify", _("Notify the owner and the queue's supervisors")
    MOVE_QUEUE = "move_queue", _("Move to an escalation queue")


class SlaAction(models.Model):
    """What to do when a KPI of the policy nears breach or breaches."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="actions")
    kpi = models.CharField(
        _("KPI"),
        max_length=20,
        choices=SlaKpi.choices,
        blank=True,
        help_text=_("Empty: every KPI."),
    )
    moment = models.CharField(_("when"), max_length=10, choices=SlaMoment.choices)
    kind = models.CharField(_("action"), max_length=20, choices=SlaActionKind.choices)
    queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The escalation queue, for 'move to an escalation queue'."),
    )

    class Meta:
        ordering = ["moment", "kind"]

    def __str__(self) -> str:
        return f"{self.get_moment_display()}: {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind == SlaActionKind.MOVE_QUEUE and self.queue_id is None:
            raise ValidationError({"queue": _("Choose the queue to move the case to.")})


class EntitlementTerm(models.TextChoices):
    UNLIMITED = "unlimited", _("Unlimited")
    CASES = "cases", _("Number of cases")
    HOURS = "hours", _("Hours of work")


class DecrementOn(models.TextChoices):
    CREATION = "creation", _("When a case is created")
    RESOLUTION = "resolution", _("When a case is resolved")


class OnExhausted(models.TextChoices):
    BLOCK = "block", _("Refuse new cases from the covered channels")
    WARN = "warn", _("Accept, and warn the agent")


class EntitlementQuerySet(models.QuerySet["Entitlement"]):
    def current(self, today: object) -> EntitlementQuerySet:
        return self.filter(is_active=True, starts_on__lte=today).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=today)
        )


class Entitlement(TimestampedModel):
    """A contract's promise to an account or a contact: which SLA policy, for which channels
    and products, for how many cases or hours. The default entitlement (neither account nor
    contact) covers everyone without a contract."""

    name = models.CharField(_("name"), max_length=120)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="entitlements"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="entitlements"
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Covers customers without a contract.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="entitlements")
    term = models.CharField(
        _("terms"),
        max_length=10,
        choices=EntitlementTerm.choices,
        default=EntitlementTerm.UNLIMITED,
    )
    total = models.DecimalField(
        _("cases or hours granted"), max_digits=10, decimal_places=2, default=0
    )
    remaining = models.DecimalField(
        _("cases or hours left"), max_digits=10, decimal_places=2, default=0
    )
    decrement_on = models.CharField(
        _("count down"), max_length=10, choices=DecrementOn.choices, default=DecrementOn.CREATION
    )
    on_exhausted = models.CharField(
        _("when used up"), max_length=10, choices=OnExhausted.choices, default=OnExhausted.WARN
    )
    channels = models.JSONField(
        _("channels covered"), default=list, blank=True, help_text=_("Empty: every channel.")
    )
    products = models.JSONField(
        _("products covered"), default=list, blank=True, help_text=_("Empty: every product.")
    )

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="entitlement_single_default",
            ),
            models.CheckConstraint(
                condition=models.Q(is_default=True, account__isnull=True, contact__isnull=True)
                | models.Q(is_default=False),
                name="entitlement_default_has_no_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "is_active"], name="entitlement_account"),
            models.Index(fields=["contact", "is_active"], name="entitlement_contact"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.is_default and not self.account_id and not self.contact_id:
            raise ValidationError(_("A contract belongs to an account or a contact."))
        if self.is_default and (self.account_id or self.contact_id):
            raise ValidationError(_("The default entitlement belongs to nobody in particular."))
        if self.term == EntitlementTerm.HOURS and self.decrement_on == DecrementOn.CREATION:
            raise ValidationError(
                {"decrement_on": _("Hours are counted from time logged, so at resolution.")}
            )
        if self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A contract cannot end before it starts.")})

    @property
    def is_limited(self) -> bool:
        return self.term != EntitlementTerm.UNLIMITED

    @property
    def is_exhausted(self) -> bool:
        return self.is_limited and self.remaining <= Decimal(0)

    def covers(self, *, channel: str, product: str) -> bool:
        return (not self.channels or channel in self.channels) and (
            not self.products or not product or product in self.products
        )


class EntitlementCharge(models.Model):
    """What one case used of an entitlement; one per case, so nothing is charged twice."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="charges")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entitlement_charges")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["entitlement", "case"], name="charge_once_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.amount} for case {self.case_id}"


class SlaStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    NEARING = "nearing", _("Nearing breach")
    PAUSED = "paused", _("Paused")
    SUCCEEDED = "succeeded", _("Succeeded")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


class SlaInstance(models.Model):
    """One KPI timer of one case.

    `due_at` = start + target + business time paused (on the policy's calendar). The sweep
    looks only at `next_action_at` (the warning or breach still to fire; NULL when paused or
    done), through a partial index. `completed_at` is set when the KPI's event happened (or
    the timer was cancelled); at most one timer per case and KPI is not completed.
    """

    # Indexed by (case, kpi) in Meta, which serves lookups by case alone.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="sla_instances", db_index=False
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="instances")
    entitlement = models.ForeignKey(
        Entitlement, null=True, blank=True, on_delete=models.SET_NULL, related_name="instances"
    )
    kpi = models.CharField(max_length=20, choices=SlaKpi.choices)
    status = models.CharField(
        max_length=20, choices=SlaStatus.choices, default=SlaStatus.IN_PROGRESS
    )
    target_seconds = models.PositiveIntegerField()
    warn_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    due_at = models.DateTimeField()
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kpi"],
                condition=models.Q(completed_at__isnull=True),
                name="sla_one_running_timer_per_kpi",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                condition=models.Q(next_action_at__isnull=False),
                name="sla_next_action",
            ),
            models.Index(fields=["case", "kpi"], name="sla_case_kpi"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kpi_display()} of case {self.case_id}: {self.get_status_display()}"

    @property
    def is_running(self) -> bool:
        return self.completed_at is None
