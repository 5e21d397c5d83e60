"""How the portal words and colours things for customers."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from caseway.cases.models import CaseStatus

register = template.Library()

# Customers read where their case stands, not the agents' workflow words.
STATUS_LABELS: dict[str, Promise] = {
    CaseStatus.NEW: _("Received"),
    CaseStatus.ACTIVE: _("In progress"),
    CaseStatus.WAITING: _("Waiting for your reply"),
    CaseStatus.ON_HOLD: _("On hold"),
    CaseStatus.RESOLVED: _("Resolved"),
    CaseStatus.CANCELLED: _("Closed"),
}
STATUS_TONES: dict[str, str] = {
    CaseStatus.NEW: "info",
    CaseStatus.ACTIVE: "progress",
    CaseStatus.WAITING: "attention",
    CaseStatus.ON_HOLD: "muted",
    CaseStatus.RESOLVED: "done",
    CaseStatus.CANCELLED: "muted",
}


@register.filter
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "muted")


@register.filter
def initials(name: str) -> str:
    """Up to two initials for an avatar ("Ada Agent" -> "AA")."""
    words = [w for w in str(name).replace("@", " ").replace(".", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"
