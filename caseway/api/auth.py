"""Who is calling: a bearer token (apps, kiosks, integrations) or the browser's session.

Both yield a Principal. A missing or wrong credential is 401; a caller who is authenticated
but may not do something is 403 (see require_agent / require_customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyCookie, HttpBearer

from caseway.api.models import ApiToken
from caseway.api.queries import get_live_token
from caseway.api.services import mark_token_used
from caseway.cases.queries import contact_of, is_admin, is_agent
from caseway.customers.models import Contact


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user, and the token they used (None for a session)."""

    user: AbstractBaseUser
    token: ApiToken | None

    @property
    def is_agent(self) -> bool:
        """Agents and admins work the agent side of the API."""
        return is_agent(self.user) or is_admin(self.user)

    @cached_property
    def contact(self) -> Contact | None:
        """The caller's contact when the caller is a customer (and not an agent)."""
        return None if self.is_agent else contact_of(self.user)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cw_...`. A bearer header that does not check out is a 401 at once,
    without falling back to the session."""

    def __call__(self, request: HttpRequest) -> Principal | None:
        header = request.headers.get(self.header, "")
        if not header.lower().startswith("bearer "):
            return None
        principal = super().__call__(request)
        if principal is None:
            raise AuthenticationError(401, _("The token is wrong, revoked or expired."))
        return principal  # type: ignore[no-any-return]

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        api_token = get_live_token(token.strip())
        if api_token is None:
            return None
        mark_token_used(token=api_token)
        return Principal(user=api_token.user, token=api_token)


class SessionAuth(APIKeyCookie):
    """The browser's Django session, with Django's CSRF check on unsafe methods.

    Unlike ninja's django_auth, a request without a logged-in session is simply not
    authenticated (401) rather than refused for a missing CSRF token (403).
    """

    def __init__(self) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Principal | None:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if not user.is_authenticated:
            return None
        return Principal(user=user, token=None)


def principal(request: HttpRequest) -> Principal:
    """The Principal ninja's auth put on the request."""
    found: Any = getattr(request, "auth", None)
    if not isinstance(found, Principal):
        raise AuthenticationError()
    return found


def require_agent(request: HttpRequest) -> Principal:
    caller = principal(request)
    if not caller.is_agent:
        raise AuthorizationError(403, _("Only agents may do this."))
    return caller


def require_customer(request: HttpRequest) -> tuple[Principal, Contact]:
    caller = principal(request)
    if caller.contact is None:
        raise AuthorizationError(403, _("Only customers may do this."))
    return caller, caller.contact


def require_role(request: HttpRequest) -> Principal:
    """Agents and customers; anyone else authenticated is refused."""
    caller = principal(request)
    if not caller.is_agent and caller.contact is None:
        raise AuthorizationError(403, _("This account is neither an agent nor a customer."))
    return caller


token_auth = TokenAuth()
session_auth = SessionAuth()
