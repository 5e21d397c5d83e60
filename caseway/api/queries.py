"""Reads of the api app: find the live token behind a presented bearer value."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from caseway.api.models import TOKEN_PREFIX, ApiToken, hash_token


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
