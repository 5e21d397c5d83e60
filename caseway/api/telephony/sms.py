"""SMS webhooks: a message comes in; a reply's delivery status reports back.

An incoming message is answered with empty TwiML (Caseway replies from the case, never
automatically). STOP and START keywords are recorded per number; such a message continues
the sender's open SMS case when there is one and otherwise opens none (it is kept as its
inbound record).
"""

from __future__ import annotations

import contextlib

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from caseway.api.telephony.common import form_of, open_case_of, twilio_webhook, twiml
from caseway.cases import telephony as case_telephony
from caseway.connectors.exceptions import PayloadRejected
from caseway.connectors.telephony import consent
from caseway.connectors.telephony import sms as sms_wire
from caseway.core.kinds import ChannelKind
from caseway.intake import services as intake
from caseway.intake.exceptions import MessageRejected
from caseway.intake.models import InboundRecord, InboundStatus


@twilio_webhook(ChannelKind.SMS)
def incoming(request: HttpRequest) -> HttpResponse:
    sms = sms_wire.parse_form(form_of(request))
    if sms.keyword:
        consent.record_keyword(number=sms.sender, keyword=sms.keyword, via=sms.sid)
        if open_case_of(sms.sender, channel=ChannelKind.SMS) is None:
            _keep_keyword(sms)
            return twiml()
    attachments, notes = sms_wire.fetch_attachments(sms) if sms.media else ((), [])
    # A rejected message is kept as a failed record with the reason; Twilio must not retry.
    with contextlib.suppress(MessageRejected):
        intake.receive(sms_wire.inbound_message(sms, attachments=attachments, notes=notes))
    return twiml()


def _keep_keyword(sms: sms_wire.InboundSms) -> None:
    """A STOP or START with no conversation to continue: kept as its record, no case."""
    message = sms_wire.inbound_message(sms)
    InboundRecord.objects.get_or_create(
        channel=ChannelKind.SMS,
        provider_id=sms.sid,
        defaults={
            "payload": message.raw(),
            "status": InboundStatus.PROCESSED,
            "error": f"opt-{'out' if sms.keyword == consent.STOP else 'in'} keyword; no case",
            "received_at": timezone.now(),
        },
    )


@twilio_webhook(ChannelKind.SMS)
def status(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Twilio's StatusCallback for one part of a reply."""
    form = form_of(request)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    twilio_status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    delivery = sms_wire.DELIVERY_OF_STATUS.get(twilio_status)
    if not sid or delivery is None:
        raise PayloadRejected("MessageSid or a known MessageStatus is missing")
    detail = ""
    if delivery == "failed":
        code = form.get("ErrorCode", "")
        detail = f"Twilio reports {twilio_status}{f' (error {code})' if code else ''}"
    case_telephony.record_part_delivery(
        activity_id=activity_id, part_id=sid, status=delivery, detail=detail
    )
    return HttpResponse(status=204)
