"""Template helpers of the routing parts of the workspace: the presence switcher's options."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _

from caseway.routing.models import Presence

register = template.Library()


@dataclass(frozen=True)
class PresenceOption:
    value: str
    label: str
    hint: str


def _hints() -> dict[str, str]:
    return {
        Presence.AVAILABLE: _("Routing gives you new cases"),
        Presence.BUSY: _("No new cases; you keep yours"),
        Presence.DO_NOT_DISTURB: _("No new cases, no interruptions"),
        Presence.AWAY: _("Back soon; no new cases"),
        Presence.OFFLINE: _("Your open cases go back to their queues"),
    }


@register.simple_tag
def presence_options() -> list[PresenceOption]:
    """Every presence an agent can choose, in order, with what it means for them."""
    hints = _hints()
    return [
        PresenceOption(value=str(value), label=str(label), hint=hints.get(value, ""))
        for value, label in Presence.choices
    ]
