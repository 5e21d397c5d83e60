"""Template helpers of the workspace: relative times, labels for stored values, avatars."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from caseway.cases.models import CasePriority, CaseStatus
from caseway.core.kinds import ChannelKind

register = template.Library()

AVATAR_HUES = 8


def _relative(value: datetime, now: datetime) -> str:
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return _("just now") if seconds > -60 else format_date(timezone.localtime(value), "j M")
    if seconds < 60:
        return _("just now")
    minutes = seconds // 60
    if minutes < 60:
        return ngettext("%(n)d min ago", "%(n)d min ago", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    days = hours // 24
    if days < 7:
        return ngettext("yesterday", "%(n)d days ago", days) % {"n": days}
    local = timezone.localtime(value)
    return format_date(local, "j M" if local.year == timezone.localtime(now).year else "j M Y")


@register.simple_tag
def reltime(value: datetime | None, empty: str = "—") -> SafeString:
    """`<time>` with a short relative text ("5 min ago") and the full date as its tooltip."""
    if value is None:
        return format_html('<span class="muted">{}</span>', empty)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        format_date(local, "D j M Y, H:i"),
        _relative(value, timezone.now()),
    )


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds()) // 60, 0)
    if minutes < 1:
        return _("under a minute")
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return (_("%(h)d h %(m)d min") if minutes else _("%(h)d h")) % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return (_("%(d)d d %(h)d h") if hours else _("%(d)d d")) % {"d": days, "h": hours}


@register.simple_tag
def elapsed(start: datetime | None, end: datetime | None) -> str:
    """How long from `start` to `end`, e.g. "1 h 20 min"; empty when either is missing."""
    if start is None or end is None:
        return ""
    return _duration(end - start)


@register.filter
def status_label(value: str) -> str:
    try:
        return str(CaseStatus(value).label)
    except ValueError:
        return value


@register.filter
def priority_label(value: str) -> str:
    try:
        return str(CasePriority(value).label)
    except ValueError:
        return value


@register.filter
def channel_label(value: str) -> str:
    try:
        return str(ChannelKind(value).label)
    except ValueError:
        return value


@register.filter
def initials(name: object) -> str:
    words = [w for w in str(name or "").replace("@", " ").replace(".", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


@register.filter
def avatar_hue(name: object) -> int:
    """A stable colour index for a person's avatar."""
    return zlib.crc32(str(name or "").encode()) % AVATAR_HUES


@register.filter
def display_name(user: object) -> str:
    if user is None:
        return ""
    full = getattr(user, "get_full_name", lambda: "")()
    return full or getattr(user, "get_username", lambda: str(user))()
