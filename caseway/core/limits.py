"""Limits on what customers may send, shared by every channel and every service."""

from __future__ import annotations

from django.conf import settings


def attachment_refusal(*, filename: str, content_type: str, size: int) -> str | None:
    """Why an attachment is refused (too large, or of a type we do not take), or None."""
    limit = settings.CASEWAY_ATTACHMENT_MAX_BYTES
    if size > limit:
        return f"{filename} is {size} bytes; the limit is {limit}"
    base_type = content_type.split(";")[0].strip().lower()
    if base_type not in settings.CASEWAY_ATTACHMENT_TYPES:
        return f"{filename}: files of type {base_type} are not accepted"
    return None
