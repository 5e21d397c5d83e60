"""Sign in for apps (username or email and password for a token, or the browser session's
exchange), the caller's own tokens, and signing out (revoke one, or every one)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate, get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.throttling import AnonRateThrottle

from caseway.api.auth import Principal, principal, session_auth
from caseway.api.mobile_schemas import RevokedOut, SessionTokenIn, TokenInfoOut
from caseway.api.models import ApiToken
from caseway.api.schemas import ErrorOut, TokenIn, TokenOut
from caseway.api.services import issue_token, revoke_all_tokens, revoke_token
from caseway.cases.queries import contact_of, is_admin, is_agent

router = Router(tags=["auth"])

# Password guessing: a few sign-ins a minute per address is plenty for a person or a kiosk.
SIGN_IN_RATE = "10/m"


@router.post(
    "/token",
    auth=None,
    throttle=[AnonRateThrottle(SIGN_IN_RATE)],
    response={201: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    summary="Exchange a username and password for an API token",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    """`username` may also be the account's email address."""
    user = authenticate(
        request, username=_username_for(payload.username), password=payload.password
    )
    if user is None:
        raise AuthenticationError(401, _("Wrong username or password."))
    if not (is_agent(user) or is_admin(user) or contact_of(user) is not None):
        raise AuthorizationError(403, _("This account is neither an agent nor a customer."))
    return Status(201, _issue(user, payload.name, payload.expires_in_days))


def _username_for(login: str) -> str:
    """A login that is no username but one user's email address stands for that user."""
    if "@" not in login:
        return login
    users = get_user_model().objects.filter(email__iexact=login.strip())
    usernames = list(users.values_list("username", flat=True)[:2])
    exact = get_user_model().objects.filter(username=login).exists()
    return usernames[0] if len(usernames) == 1 and not exact else login


def _issue(user: object, name: str, expires_in_days: int | None) -> TokenOut:
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token, plaintext = issue_token(user=user, name=name, expires_at=expires_at)  # type: ignore[arg-type]
    return TokenOut(
        token=plaintext, prefix=token.prefix, name=token.name, expires_at=token.expires_at
    )


@router.post(
    "/session-token",
    auth=[session_auth],
    response={201: TokenOut, 401: ErrorOut, 403: ErrorOut},
    summary="Exchange the signed-in browser session for an API token",
)
def create_session_token(request: HttpRequest, payload: SessionTokenIn) -> Status[TokenOut]:
    """For an app that signs its user in through the portal in a web view: with the
    session cookie and its CSRF token, get a bearer token for the same user."""
    caller = principal(request)
    if not (caller.is_agent or caller.contact is not None):
        raise AuthorizationError(403, _("This account is neither an agent nor a customer."))
    return Status(201, _issue(caller.user, payload.name, payload.expires_in_days))


@router.get("/tokens", response={200: list[TokenInfoOut], 401: ErrorOut}, summary="Your tokens")
def list_tokens(request: HttpRequest) -> list[TokenInfoOut]:
    """Live tokens only (neither revoked nor expired), newest first."""
    caller = principal(request)
    tokens = ApiToken.objects.filter(user_id=caller.user.pk, is_revoked=False).exclude(
        expires_at__lte=timezone.now()
    )
    current = caller.token.pk if caller.token else None
    return [
        TokenInfoOut(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            is_current=token.pk == current,
        )
        for token in tokens
    ]


@router.delete(
    "/tokens/{int:token_id}",
    response={204: None, 401: ErrorOut, 404: ErrorOut},
    summary="Revoke one of your tokens",
)
def delete_one_token(request: HttpRequest, token_id: int) -> Status[None]:
    """Someone else's token answers 404, like one that does not exist."""
    caller = principal(request)
    token = ApiToken.objects.filter(pk=token_id, user_id=caller.user.pk).first()
    if token is None:
        raise HttpError(404, _("No such token."))
    revoke_token(token=token, actor=caller.user)
    return Status(204, None)


@router.post(
    "/tokens/revoke-all",
    response={200: RevokedOut, 401: ErrorOut},
    summary="Revoke every one of your tokens (sign out everywhere)",
)
def revoke_every_token(request: HttpRequest) -> RevokedOut:
    """The token of this request too: it stops working with this answer."""
    caller = principal(request)
    return RevokedOut(revoked=revoke_all_tokens(user=caller.user))


@router.delete(
    "/token",
    response={204: None, 400: ErrorOut, 401: ErrorOut},
    summary="Revoke the token this request is made with",
)
def delete_token(request: HttpRequest) -> Status[None]:
    caller: Principal = principal(request)
    if caller.token is None:
        raise HttpError(400, _("This request was not made with a token."))
    revoke_token(token=caller.token, actor=caller.user)
    return Status(204, None)
