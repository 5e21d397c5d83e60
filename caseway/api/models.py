"""API tokens: how the customer's own app, a kiosk or an integration signs in."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "cw_"


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token of one user. Only its SHA-256 hash is stored, never the token itself.

    The first eight characters are kept to tell tokens apart in lists ("cw_Ab3xY").
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it: 'iPhone', 'kiosk lobby'.")
    )
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    is_revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


from caseway.api.outbound_models import (  # noqa: E402
    Device,
    DevicePlatform,
    OutboundCursor,
    OutboundDelivery,
    OutboundKind,
    OutboundStatus,
    WebhookSubscription,
)

__all__ = [
    "TOKEN_PREFIX",
    "ApiToken",
    "Device",
    "DevicePlatform",
    "OutboundCursor",
    "OutboundDelivery",
    "OutboundKind",
    "OutboundStatus",
    "WebhookSubscription",
    "hash_token",
]
