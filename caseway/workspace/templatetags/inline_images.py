"""Inline images of email messages (cid: references) shown from their stored attachments."""

from __future__ import annotations

import re

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from caseway.cases.models import Activity, Case

register = template.Library()

_CID = re.compile(r"cid:([^\"'\s>]+)")


@register.simple_tag
def message_html(activity: Activity, case: Case) -> SafeString:
    """The activity's HTML (sanitised when it was stored) with each `cid:` image pointing at
    the attachment it came with, so inline images of an email show in the case view."""
    html = activity.html
    email = (activity.data or {}).get("email") or {}
    inline = email.get("inline") or {} if isinstance(email, dict) else {}
    if inline and "cid:" in html:
        by_name = {a.filename: a.pk for a in activity.attachments.all()}

        def point(match: re.Match[str]) -> str:
            pk = by_name.get(str(inline.get(match.group(1), "")))
            if pk is None:
                return match.group(0)
            return reverse("workspace:attachment", args=[case.number, pk])

        html = _CID.sub(point, html)
    return mark_safe(html)  # noqa: S308 - sanitised by nh3 on the way in; only URLs we built added
