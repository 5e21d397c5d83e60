"""SLA countdowns: the server renders their first text; static/workspace/countdown.js keeps
them ticking with the same words (countdown_strings), so a page works without JavaScript."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from caseway.cases.models import Case
from caseway.sla.models import SlaStatus
from caseway.sla.queries import SlaClock, most_urgent_clock

register = template.Library()

HOUR = 3600
SHOW_SECONDS_BELOW = 600
SHOW_DAYS_FROM = 48 * HOUR


def _strings() -> dict[str, str]:
    """The words of a countdown, shared by Python and countdown.js (Python %-format)."""
    return {
        "days": _("%(d)dd %(h)dh"),
        "hours": _("%(h)dh %(m)dm"),
        "minutes": _("%(m)dm"),
        "minutes_seconds": _("%(m)dm %(s)02ds"),
        "seconds": _("%(s)ds"),
        "left": _("%(time)s left"),
        "overdue": _("overdue by %(time)s"),
        "breached": _("breached"),
    }


def span_text(seconds: float, strings: dict[str, str] | None = None) -> str:
    """A length of time as a countdown reads it: "2d 3h", "5h 12m", "42m", "4m 05s"."""
    words = strings or _strings()
    total = int(abs(seconds))
    if total >= SHOW_DAYS_FROM:
        days, rest = divmod(total, 24 * HOUR)
        return words["days"] % {"d": days, "h": rest // HOUR}
    if total >= HOUR:
        return words["hours"] % {"h": total // HOUR, "m": total % HOUR // 60}
    if total >= SHOW_SECONDS_BELOW:
        return words["minutes"] % {"m": total // 60}
    if total >= 60:
        return words["minutes_seconds"] % {"m": total // 60, "s": total % 60}
    return words["seconds"] % {"s": total}


def countdown_label(clock: SlaClock) -> str:
    """What the countdown says now: "3h 10m left", "overdue by 12m", "paused, 2h left"."""
    words = _strings()
    if clock.is_paused:
        if clock.seconds_left >= 0:
            return _("paused, %(time)s left") % {"time": span_text(clock.seconds_left, words)}
        return _("paused, %(time)s over") % {"time": span_text(clock.seconds_left, words)}
    if clock.seconds_left > 0:
        if clock.state == SlaStatus.BREACHED:
            return words["breached"]  # stamped breached by a sweep running ahead of this clock
        return words["left"] % {"time": span_text(clock.seconds_left, words)}
    return words["overdue"] % {"time": span_text(clock.seconds_left, words)}


def _when(value: Any) -> str:
    return format_date(timezone.localtime(value), "D j M, H:i")


def countdown_title(clock: SlaClock) -> str:
    """The tooltip: what the number means (wall clock to the due time, or business time)."""
    if clock.is_paused:
        return _(
            "Paused since %(since)s while the case waits. The time shown is business time "
            "left when the clock resumes."
        ) % {"since": _when(clock.paused_since)}
    return _(
        "%(kpi)s due %(due)s. The countdown is wall-clock time to the due time, which "
        "already allows for business hours and pauses."
    ) % {"kpi": clock.kpi_label, "due": _when(clock.due_at)}


@register.inclusion_tag("workspace/_countdown.html")
def sla_countdown(clock: SlaClock | None, show_kpi: bool = False) -> dict[str, Any]:
    """A ticking countdown of a running clock (a dash when there is none)."""
    if clock is None:
        return {"clock": None}
    ticking = clock.is_running and not clock.is_paused
    return {
        "clock": clock,
        "show_kpi": show_kpi,
        "ticking": ticking,
        "due_iso": clock.due_at.isoformat() if ticking else "",
        "warn_iso": clock.warn_at.isoformat() if ticking and clock.warn_at < clock.due_at else "",
        "text": countdown_label(clock),
        "title": countdown_title(clock),
    }


@register.inclusion_tag("workspace/_countdown.html")
def case_countdown(case: Case) -> dict[str, Any]:
    """The countdown of the case's most urgent running timer, with its KPI. Reads the timers
    prefetched with caseway.sla.queries.running_timers_prefetch()."""
    return sla_countdown(most_urgent_clock(case), show_kpi=True)


@register.simple_tag
def countdown_strings() -> SafeString:
    """The countdown's words as a JSON script element for countdown.js."""
    return json_script(_strings(), "countdown-strings")


@register.filter
def minutes_label(value: object) -> str:
    """Minutes of work as "45 min" or "1 h 30 min"."""
    try:
        minutes = int(str(value))
    except ValueError:
        return ""
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    return _("%(h)d h") % {"h": hours}


@register.filter
def business_span(seconds: object) -> str:
    """Business seconds as "2h 10m" (empty when there are none)."""
    try:
        value = float(str(seconds))
    except ValueError:
        return ""
    return span_text(value) if value >= 60 else ""
