"""What every Twilio webhook does first: refuse when disabled, check the size and the
signature, keep a signed payload that cannot be used for inspection."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from caseway.cases.models import OPEN_STATUSES, Case
from caseway.connectors.exceptions import BadSignature, PayloadRejected
from caseway.connectors.telephony import signature
from caseway.core.kinds import AddressKind
from caseway.customers.models import Identity, normalize_address
from caseway.intake.rejected import keep_rejected_payload

logger = logging.getLogger(__name__)

TWIML = "text/xml; charset=utf-8"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

View = Callable[..., HttpResponse]


def twiml(xml: str = EMPTY_TWIML) -> HttpResponse:
    return HttpResponse(xml, content_type=TWIML)


def twilio_webhook(channel: str) -> Callable[[View], View]:
    """Wrap a webhook view: 503 while Twilio is not configured; 413 for a body over
    TWILIO_WEBHOOK_MAX_BYTES; 403 for a bad signature (nothing stored); PayloadRejected
    raised by the view is a 400 and the payload is kept (InboundRecord, failed).

    An oversized body is verified before it is kept, so nothing unsigned is ever stored.
    """

    def wrap(view: View) -> View:
        @csrf_exempt
        @require_POST
        @functools.wraps(view)
        def run(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not signature.is_enabled():
                return HttpResponse(_("SMS and voice are not configured."), status=503)
            body = request.body  # Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE
            try:
                signature.verify(request)
            except BadSignature as exc:
                logger.warning("%s webhook refused: %s", channel, exc)
                return HttpResponse(_("Bad signature."), status=403)
            details = {"path": request.path, "content_type": request.content_type}
            if len(body) > settings.TWILIO_WEBHOOK_MAX_BYTES:
                reason = f"payload of {len(body)} bytes is over the limit"
                keep_rejected_payload(channel=channel, body=body, reason=reason, details=details)
                return HttpResponse(reason, status=413, content_type="text/plain")
            try:
                return view(request, *args, **kwargs)
            except PayloadRejected as exc:
                keep_rejected_payload(channel=channel, body=body, reason=str(exc), details=details)
                return HttpResponse(
                    _("Malformed payload: %(reason)s") % {"reason": exc},
                    status=400,
                    content_type="text/plain",
                )

        return run

    return wrap


def form_of(request: HttpRequest) -> dict[str, str]:
    """The form as single values (Twilio never repeats a field)."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise PayloadRejected(f"expected a form, got {request.content_type or 'no type'}")
    return {key: request.POST.get(key, "") for key in request.POST}


def open_case_of(number: str, *, channel: str = "") -> Case | None:
    """The newest open case of the contact behind a phone number (on `channel`, if given)."""
    address = normalize_address(AddressKind.PHONE, number)
    contact_id = (
        Identity.objects.filter(kind=AddressKind.PHONE, address=address)
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is None:
        return None
    cases = Case.objects.filter(contact_id=contact_id, status__in=OPEN_STATUSES)
    if channel:
        cases = cases.filter(origin_channel=channel)
    return cases.order_by("-last_activity_at", "-pk").first()
