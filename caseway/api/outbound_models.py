"""What the customer's app registers to hear about its cases: push devices and webhook
subscriptions, and every signed POST sent to them (OutboundDelivery)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DevicePlatform(models.TextChoices):
    IOS = "ios", _("iOS")
    ANDROID = "android", _("Android")
    WEB = "web", _("Web push")


class Device(models.Model):
    """A phone (or browser) of one user that receives push notifications through the push
    gateway. A (platform, token) pair belongs to one user at a time: registering it again
    under another login moves it, so a shared phone never notifies its previous owner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices"
    )
    platform = models.CharField(_("platform"), max_length=10, choices=DevicePlatform.choices)
    token = models.CharField(_("device token"), max_length=512)
    name = models.CharField(_("name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last registered"))

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "token"], name="device_platform_token")
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.token[:12]}…"


class WebhookSubscription(models.Model):
    """A URL of the customer's own backend that receives their case updates as signed JSON.

    The secret signs every delivery (HMAC-SHA256); it is kept in the clear because signing
    needs it, and shown to the customer only when the subscription is created.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class OutboundKind(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    PUSH = "push", _("Push notification")


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class OutboundDelivery(models.Model):
    """One signed JSON POST of one event to one receiver, with its attempts.

    `key` names the event and its receiver ("webhook:<subscription>:<activity>"), so writing
    the deliveries of an event twice creates nothing new; the receiver sees the same `id` in
    every retry and uses it to drop duplicates. A pending delivery with `next_attempt_at` in
    the past is due; after CASEWAY_OUTBOUND_MAX_ATTEMPTS failures it is failed for good.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=OutboundKind.choices)
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    url = models.URLField(max_length=2000)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "outbound deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbound_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return self.key


class OutboundCursor(models.Model):
    """How far the dispatcher has turned the timeline into deliveries: the id of the last
    activity it looked at. One row per stream ("case-events")."""

    name = models.CharField(max_length=50, unique=True)
    last_activity_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_activity_id}"
