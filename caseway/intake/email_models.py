"""Mailboxes (our addresses, each feeding a queue) and every email exactly as it arrived."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.cases.models import Case, Queue
from caseway.core.models import TimestampedModel


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None (tests and local servers only)")


class Mailbox(TimestampedModel):
    """An address of ours that customers write to. New cases from its mail open in its queue
    (a routing rule that matches still wins), and replies to them go out From it.

    The IMAP password is never stored: `imap_password_setting` names the environment
    variable (or Django setting) that holds it.
    """

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(
        _("display name"), max_length=120, blank=True, help_text=_("Shown as the replies' From.")
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="mailboxes", verbose_name=_("queue")
    )
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(
        _("IMAP host"), max_length=255, blank=True, help_text=_("Empty: mail arrives by SMTP.")
    )
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password_setting = models.CharField(
        _("IMAP password variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of the environment variable that holds the password, never the password."
        ),
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_processed_folder = models.CharField(
        _("move processed mail to"),
        max_length=255,
        blank=True,
        help_text=_("Empty: processed mail stays in the folder, marked as read."),
    )
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_poll_error = models.TextField(_("last poll error"), blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        self.address = self.address.strip().lower()

    @property
    def polls_imap(self) -> bool:
        return bool(self.is_active and self.imap_host and self.imap_username)


class EmailSource(models.TextChoices):
    SMTP = "smtp", _("SMTP listener")
    IMAP = "imap", _("IMAP polling")
    FILE = "file", _(".eml file")


class EmailStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("On a case")
    AUTO_REPLY = "auto_reply", _("Automatic reply (not answered)")
    LOOP = "loop", _("From one of our own addresses (ignored)")
    BOUNCE = "bounce", _("Bounce of one of our replies")
    FAILED = "failed", _("Failed")


class InboundEmail(models.Model):
    """One email exactly as it arrived (its bytes), stored and committed before parsing.

    Unique on `dedupe_key` (the Message-ID, or the digest of the bytes without one), so the
    same mail arriving again, by SMTP, IMAP or a file, is recognised and changes nothing; a
    failed one is processed again.
    """

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    source = models.CharField(max_length=10, choices=EmailSource.choices)
    dedupe_key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(max_length=300, blank=True)
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.RECEIVED
    )
    detail = models.TextField(blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.message_id or self.dedupe_key} ({self.status})"
