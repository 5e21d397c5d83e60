"""Queues, cases, their timeline, attachments and audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.core.kinds import ChannelKind
from caseway.core.models import TimestampedModel
from caseway.customers.models import Account, Contact


class Queue(TimestampedModel):
    """Where a case waits for an agent. Agents see the cases of the queues they belong to."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("New cases land here unless routed elsewhere.")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="case_queues"
    )
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="supervised_queues",
        help_text=_("Told when a case in this queue nears or breaches its SLA."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="queue_single_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    WAITING = "waiting", _("Waiting on customer")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(
    {CaseStatus.NEW, CaseStatus.ACTIVE, CaseStatus.WAITING, CaseStatus.ON_HOLD}
)

# Where each status may go next. Resolved and cancelled cases reopen as active.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.ACTIVE, CaseStatus.WAITING, CaseStatus.ON_HOLD, CaseStatus.RESOLVED,
         CaseStatus.CANCELLED}
    ),
    CaseStatus.ACTIVE: frozenset(
        {CaseStatus.WAITING, CaseStatus.ON_HOLD, CaseStatus.RESOLVED, CaseStatus.CANCELLED}
    ),
    CaseStatus.WAITING: frozenset(
        {CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.RESOLVED, CaseStatus.CANCELLED}
    ),
    CaseStatus.ON_HOLD: frozenset(
        {CaseStatus.ACTIVE, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CANCELLED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.ACTIVE}),
    CaseStatus.CANCELLED: frozenset({CaseStatus.ACTIVE}),
}  # fmt: skip


class CasePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER = {
    CasePriority.URGENT: 0,
    CasePriority.HIGH: 1,
    CasePriority.NORMAL: 2,
    CasePriority.LOW: 3,
}


def priority_one_step_up(priority: str) -> str:
    """low -> normal -> high -> urgent; urgent stays urgent (an unknown one counts as normal)."""
    rank = PRIORITY_ORDER.get(CasePriority(priority), 2) if priority in CasePriority.values else 2
    by_rank = sorted(PRIORITY_ORDER, key=PRIORITY_ORDER.__getitem__)
    return str(by_rank[max(rank - 1, 0)])


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def by_number(self, number: str) -> CaseQuerySet:
        pk = Case.pk_from_number(number)
        return self.filter(pk=pk) if pk is not None else self.none()


class Case(TimestampedModel):
    """A customer's request, followed from first message to resolution.

    Its human-readable number is derived from the primary key ("CW-00042"), so creating a
    case costs one INSERT and the number never changes.
    """

    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    origin_channel = models.CharField(_("origin"), max_length=20, choices=ChannelKind.choices)
    # No single-column indexes on these keys: the (key, status) indexes of Meta serve every
    # lookup by the key alone too, and each index more is written on every new case and on
    # every reply (which updates last_activity_at, an indexed column).
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        db_index=False,
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="cases", db_index=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cases",
        db_index=False,
    )
    product = models.CharField(_("product"), max_length=120, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    last_reply_at = models.DateTimeField(_("last reply"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    time_spent_minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    queued_at = models.DateTimeField(
        _("waiting in queue since"), null=True, blank=True, help_text=_("Empty while owned.")
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["queue", "status"], name="case_queue_status"),
            models.Index(fields=["contact", "status"], name="case_contact_status"),
            models.Index(fields=["account", "status"], name="case_account_status"),
            models.Index(fields=["owner", "status"], name="case_owner_status"),
            models.Index(
                fields=["queue", "queued_at"],
                condition=models.Q(queued_at__isnull=False),
                name="case_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"{settings.CASEWAY_CASE_PREFIX}-{self.pk:05d}" if self.pk else ""

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        """Parse "CW-00042", "cw-42", "#42" or "42" into a primary key, or None."""
        text = number.strip().upper().lstrip("#")
        prefix = settings.CASEWAY_CASE_PREFIX.upper() + "-"
        if text.startswith(prefix):
            text = text[len(prefix) :]
        return int(text) if text.isdigit() and 0 < int(text) < 2**62 else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def can_become(self, status: str) -> bool:
        return status in CASE_TRANSITIONS.get(self.status, frozenset())


class ActivityKind(models.TextChoices):
    MESSAGE_IN = "message_in", _("Message from customer")
    MESSAGE_OUT = "message_out", _("Reply to customer")
    NOTE = "note", _("Internal note")
    STATUS_CHANGE = "status_change", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    PHONE_CALL = "phone_call", _("Phone call")
    TIME_LOGGED = "time_logged", _("Time logged")
    SLA = "sla", _("SLA event")


PUBLIC_ACTIVITY_KINDS = frozenset({ActivityKind.MESSAGE_IN, ActivityKind.MESSAGE_OUT})


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not applicable")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Activity(models.Model):
    """One entry on a case's timeline. Customers see only public ones (messages)."""

    # Indexed by (case, created_at) in Meta, which serves lookups by case alone.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    is_public = models.BooleanField(_("public"), default=False)
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_activities",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("sanitised HTML"), blank=True)
    provider_id = models.CharField(_("provider id"), max_length=300, blank=True)
    delivery_status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["case", "created_at"], name="activity_case_time"),
            models.Index(fields=["channel", "provider_id"], name="activity_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on case {self.case_id}"

    @property
    def author_label(self) -> str:
        if self.author_agent_id:
            user = self.author_agent
            return (user.get_full_name() or user.get_username()) if user else ""
        if self.author_contact_id:
            return str(self.author_contact)
        return "Caseway"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """A file on a message; size and type are checked before it is stored."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class AuditEntry(models.Model):
    """One field change on a case: who, when, before, after."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_audit_entries",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    field = models.CharField(max_length=60)
    before = models.CharField(max_length=300, blank=True)
    after = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.field}: {self.before} -> {self.after}"


class Notification(models.Model):
    """Something an agent should know about a case (an SLA warning, an escalation).

    Shown in the workspace until read; also sent by email after commit.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return self.text


class CaseArticle(models.Model):
    """A knowledge article an agent linked to a case as used to resolve it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="article_links")
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="case_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "article"], name="case_article_once")
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} on case {self.case_id}"


class CaseEmbedding(models.Model):
    """The meaning of a resolved case (subject and the customer's first message) as a vector
    of the knowledge base's embedding model, for "similar resolved cases"."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="embedding")
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"embedding of case {self.case_id}"


class MergedCase(models.Model):
    """A case a contact merge changed: its contact and account before the merge, so that
    undoing the merge (customers.ContactMerge) puts back exactly these."""

    merge = models.ForeignKey(
        "customers.ContactMerge", on_delete=models.CASCADE, related_name="cases"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="merge_moves")
    contact_before = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+")
    account_before = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merge", "case"], name="merged_case_once")]

    def __str__(self) -> str:
        return f"case {self.case_id} in merge {self.merge_id}"


class MergeSweepCursor(models.Model):
    """How far the merge-suggestion sweep has read (cases.merge_sweep): one row."""

    last_activity_id = models.BigIntegerField(default=0)
    last_contact_id = models.BigIntegerField(default=0)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"merge sweep at activity {self.last_activity_id}"
