"""State the adapters keep about the wire: SMS consent per phone number."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SmsConsent(models.Model):
    """Whether a phone number accepts our SMS: STOP (and Twilio's other opt-out keywords)
    turns it off, START (YES, UNSTOP) back on. No row: never opted out."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    is_opted_out = models.BooleanField(_("opted out"), default=False)
    keyword = models.CharField(_("last keyword"), max_length=20, blank=True)
    via = models.CharField(_("received as"), max_length=64, blank=True)
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = "SMS consent"

    def __str__(self) -> str:
        return f"{self.number}: {'opted out' if self.is_opted_out else 'accepts SMS'}"
