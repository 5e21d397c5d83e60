"""How errors look on the wire: {"detail": "..."} or, for input, {"detail": [{loc, msg, type}]}.

Service exceptions map to statuses here, once, for every endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from caseway.api.exceptions import TokenNotYours
from caseway.cases.exceptions import (
    AttachmentRejected,
    CaseClosed,
    EmptyMessage,
    NotAnAgent,
    TransitionNotAllowed,
)
from caseway.cases.models import Case
from caseway.intake.exceptions import MessageRejected
from caseway.routing.exceptions import CaseTaken, NoOffer, OverCapacity

Loc = Sequence[str | int]


def field_error(loc: Loc, msg: str, kind: str = "value_error") -> ValidationError:
    """A 422 that points at one field, shaped like ninja's own validation errors."""
    return ValidationError([{"loc": list(loc), "msg": msg, "type": kind}])


def register_error_handlers(api: NinjaAPI) -> None:
    def detail(request: HttpRequest, status: int, message: str) -> HttpResponse:
        return api.create_response(request, {"detail": message}, status=status)

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        response = detail(request, exc.status_code, str(exc))
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="caseway"'
        return response

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 404, _("No such case."))

    def transition(request: HttpRequest, exc: Any) -> HttpResponse:
        message = _("A case cannot go from %(current)s to %(target)s.") % {
            "current": exc.current,
            "target": exc.target,
        }
        return detail(request, 409, message)

    def closed(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 409, _("The case is closed; reopen it first."))

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 403, _("You may not do this."))

    def empty(request: HttpRequest, exc: Any) -> HttpResponse:
        error = field_error(
            ["body", "payload", "text"], _("A message needs text or an attachment."), "missing"
        )
        return api.create_response(request, {"detail": error.errors}, status=422)

    def rejected(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 422, str(exc))

    def too_big(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 413, _("The request body is too large."))

    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(Case.DoesNotExist, not_found)
    api.add_exception_handler(TransitionNotAllowed, transition)
    api.add_exception_handler(CaseClosed, closed)
    api.add_exception_handler(NotAnAgent, forbidden)
    api.add_exception_handler(TokenNotYours, forbidden)
    api.add_exception_handler(EmptyMessage, empty)
    api.add_exception_handler(AttachmentRejected, rejected)
    api.add_exception_handler(MessageRejected, rejected)
    api.add_exception_handler(RequestDataTooBig, too_big)

    def no_offer(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 409, _("Routing offered you no such case."))

    def over_capacity(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 409, _("You are at capacity: finish or hand back a case first."))

    def taken(request: HttpRequest, exc: Any) -> HttpResponse:
        return detail(request, 409, _("Another agent owns this case."))

    api.add_exception_handler(NoOffer, no_offer)
    api.add_exception_handler(OverCapacity, over_capacity)
    api.add_exception_handler(CaseTaken, taken)
