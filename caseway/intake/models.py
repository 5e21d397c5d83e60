"""What arrived, kept exactly as it came, before and whatever its processing."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.core.kinds import ChannelKind


class InboundStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class InboundRecord(models.Model):
    """One inbound message as received; unique on (channel, provider_id) so replays are no-ops.

    A processed record became the timeline entry with the same (channel, provider_id); a
    failed one keeps the error so the message can be looked at and received again.
    """

    channel = models.CharField(max_length=20, choices=ChannelKind.choices)
    provider_id = models.CharField(max_length=300)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=InboundStatus.choices)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"], name="inbound_unique_provider_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.provider_id} ({self.status})"


from caseway.intake.email_models import (  # noqa: E402 - the email models live in their own module
    EmailSource,
    EmailStatus,
    ImapSecurity,
    InboundEmail,
    Mailbox,
)

__all__ = [
    "EmailSource",
    "EmailStatus",
    "ImapSecurity",
    "InboundEmail",
    "InboundRecord",
    "InboundStatus",
    "Mailbox",
]
