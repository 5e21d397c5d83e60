"""Every write of the api app: issue, revoke and mark the use of API tokens; register push
devices. Webhook subscriptions and deliveries are written in caseway.api.outbound."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from caseway.api.exceptions import TokenNotYours
from caseway.api.models import TOKEN_PREFIX, ApiToken, Device, hash_token
from caseway.cases.queries import is_admin

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# last_used_at is a hint for people, not an audit trail: one write a minute per token at most.
LAST_USED_PRECISION = timedelta(minutes=1)


@transaction.atomic
def issue_token(
    *, user: AbstractBaseUser, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it with its plaintext, which is shown only once."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=cast("User", user),
        name=(name.strip() or "API")[:100],
        key_hash=hash_token(plaintext),
        prefix=plaintext[:8],
        expires_at=expires_at,
    )
    return token, plaintext


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: AbstractBaseUser) -> ApiToken:
    """Revoke a token for good. Its own user or an admin may do it; revoking twice is a no-op."""
    if token.user_id != actor.pk and not is_admin(actor):
        raise TokenNotYours(token.pk)
    ApiToken.objects.filter(pk=token.pk).update(is_revoked=True)
    token.is_revoked = True
    return token


@transaction.atomic
def revoke_all_tokens(*, user: AbstractBaseUser) -> int:
    """Revoke every live token of `user` (sign out everywhere); return how many."""
    return ApiToken.objects.filter(user_id=user.pk, is_revoked=False).update(is_revoked=True)


def mark_token_used(*, token: ApiToken, at: datetime | None = None) -> bool:
    """Record that a token was used, at most once per LAST_USED_PRECISION; True if written."""
    at = at or timezone.now()
    if token.last_used_at is not None and at - token.last_used_at < LAST_USED_PRECISION:
        return False
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    token.last_used_at = at
    return True


@transaction.atomic
def register_device(
    *, user: AbstractBaseUser, platform: str, token: str, name: str = ""
) -> tuple[Device, bool]:
    """Register (or refresh) a push device for `user`; True when it is new to this user.

    A (platform, token) pair registered under another user moves to this one: the phone
    changed hands or logins, and only its current user may be notified on it.
    """
    now = timezone.now()
    device = Device.objects.select_for_update().filter(platform=platform, token=token).first()
    if device is None:
        device = Device.objects.create(
            user_id=user.pk, platform=platform, token=token, name=name.strip(), last_seen_at=now
        )
        return device, True
    is_new = device.user_id != user.pk
    device.user_id = user.pk
    device.name = name.strip() or device.name
    device.last_seen_at = now
    device.save(update_fields=["user", "name", "last_seen_at"])
    return device, is_new


@transaction.atomic
def unregister_device(*, device: Device) -> None:
    """Stop notifying a device (the app signed out or was uninstalled)."""
    device.delete()
