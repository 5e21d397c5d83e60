"""Sign in for apps (username and password for a token) and sign out (revoke it)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.throttling import AnonRateThrottle

from caseway.api.auth import Principal, principal
from caseway.api.schemas import ErrorOut, TokenIn, TokenOut
from caseway.api.services import issue_token, revoke_token
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
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise AuthenticationError(401, _("Wrong username or password."))
    if not (is_agent(user) or is_admin(user) or contact_of(user) is not None):
        raise AuthorizationError(403, _("This account is neither an agent nor a customer."))
    token, plaintext = issue_token(user=user, name=payload.name)
    return Status(
        201,
        TokenOut(
            token=plaintext, prefix=token.prefix, name=token.name, expires_at=token.expires_at
        ),
    )


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
