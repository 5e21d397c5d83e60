"""Template filters for phone calls on the timeline."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def call_duration(seconds: object) -> str:
    """187 -> "3:07"; "" when unknown."""
    try:
        total = int(str(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
