"""Webhook deliveries kept exactly as they arrived, before anything reads them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.core.kinds import ChannelKind


class DeliveryState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One signed webhook body from Facebook or X, stored before it is parsed.

    Unique on (channel, sha256 of the body): a delivery sent again is not stored twice. A
    body that could not be parsed (malformed, not the expected shape) or was too large stays
    here as rejected, with the reason, for inspection; an oversized body is kept cut to the
    limit (body_bytes says how long it was). Forged deliveries are never stored.
    """

    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    digest = models.CharField(_("SHA-256 of the body"), max_length=64)
    body = models.BinaryField(_("body"))
    body_bytes = models.PositiveIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=DeliveryState.choices)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("what it held"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["channel", "digest"], name="delivery_unique_body")
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.digest[:12]} ({self.state})"

    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")
