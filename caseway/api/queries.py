"""Reads of the api app: the live token behind a presented bearer value; the feed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from caseway.api.models import TOKEN_PREFIX, ApiToken, hash_token
from caseway.cases.models import PUBLIC_ACTIVITY_KINDS, Activity
from caseway.cases.queries import cases_visible_to


def get_live_token(plaintext: str, *, at: datetime | None = None) -> ApiToken | None:
    """The token whose hash matches, if it is neither revoked nor expired and its user is active.

    Looking up the SHA-256 of the presented value (never the value itself) keeps the comparison
    free of timing leaks about the stored token. The user and their contact come joined.
    """
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__contact")
        .filter(key_hash=hash_token(plaintext))
        .first()
    )
    if token is None or token.is_revoked or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= (at or timezone.now()):
        return None
    return token


def feed_for(user: AbstractBaseUser, *, after_id: int, limit: int) -> list[Activity]:
    """Public timeline entries of the cases `user` sees, with ids above `after_id`, oldest
    first, at most `limit` + 1 (the extra one tells the caller more wait).

    Entries younger than CASEWAY_FEED_SETTLE_SECONDS end the page: ids are handed out when
    a row is inserted, not when it commits, so a younger entry may still have an uncommitted
    neighbour below it that a cursor past it would skip.
    """
    settled_before = timezone.now() - timedelta(seconds=settings.CASEWAY_FEED_SETTLE_SECONDS)
    entries = list(
        Activity.objects.filter(
            case__in=cases_visible_to(user).values("pk"),
            kind__in=PUBLIC_ACTIVITY_KINDS,
            is_public=True,
            pk__gt=after_id,
        )
        .select_related("case", "author_agent", "author_contact")
        .prefetch_related("attachments")
        .order_by("pk")[: limit + 1]
    )
    for index, entry in enumerate(entries):
        if entry.created_at > settled_before:
            return entries[:index]
    return entries
