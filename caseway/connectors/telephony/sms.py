"""SMS: Twilio's inbound message form into an InboundMessage; replies out through the REST
API, split into parts Twilio accepts; opt-out keywords; delivery statuses.

Twilio refuses a Body over 1,600 characters, so a longer reply goes out as numbered parts cut
at word boundaries. Each part is its own message with its own sid; all of them report to the
same status callback of the reply (its activity id is in the path).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from caseway.connectors.exceptions import ConnectorError, PayloadRejected
from caseway.connectors.messages import (
    AttachmentIn,
    DeliveryReceipt,
    InboundMessage,
    OutboundMessage,
    Sender,
    check_attachment,
)
from caseway.connectors.telephony import consent, rest
from caseway.connectors.telephony.phone import to_e164
from caseway.connectors.telephony.signature import public_url
from caseway.core.kinds import AddressKind, ChannelKind

logger = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's limit on one message's Body
MAX_MEDIA = 10  # Twilio's limit on media per MMS

# Twilio's default opt-out and opt-in keywords (a message that is exactly one of them).
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})

_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")


def keyword_of(body: str) -> str:
    """ "stop" for an opt-out, "start" for an opt-in, "" for an ordinary message."""
    word = body.strip().strip(".!").strip().upper()
    if word in STOP_KEYWORDS:
        return consent.STOP
    if word in START_KEYWORDS:
        return consent.START
    return ""


@dataclass(frozen=True)
class MediaRef:
    url: str
    content_type: str


@dataclass(frozen=True)
class InboundSms:
    sid: str
    sender: str  # E.164
    to: str
    body: str
    media: tuple[MediaRef, ...]
    keyword: str


def parse_form(form: Mapping[str, str]) -> InboundSms:
    """Read Twilio's "a message comes in" form; PayloadRejected when it is not one."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not _SID.match(sid):
        raise PayloadRejected("MessageSid is missing or is not a message sid")
    sender = to_e164(form.get("From", ""))
    if not sender:
        raise PayloadRejected("From is not a phone number in E.164 form")
    try:
        count = int(form.get("NumMedia", "0") or 0)
    except ValueError:
        raise PayloadRejected("NumMedia is not a number") from None
    if not 0 <= count <= MAX_MEDIA:
        raise PayloadRejected(f"NumMedia must be between 0 and {MAX_MEDIA}")
    media = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}", "")
        if not url.startswith(("https://", "http://")):
            raise PayloadRejected(f"MediaUrl{index} is missing")
        media.append(MediaRef(url=url, content_type=form.get(f"MediaContentType{index}", "")))
    body = form.get("Body", "")
    if len(body) > MAX_BODY:
        raise PayloadRejected(f"Body is longer than {MAX_BODY} characters")
    if not body.strip() and not media:
        raise PayloadRejected("the message has neither a Body nor media")
    return InboundSms(
        sid=sid,
        sender=sender,
        to=form.get("To", ""),
        body=body,
        media=tuple(media),
        keyword=keyword_of(body) if not media else "",
    )


def fetch_attachments(sms: InboundSms) -> tuple[tuple[AttachmentIn, ...], list[str]]:
    """The message's media as attachments, within Caseway's limits, and a note for each one
    that could not be fetched or is refused (the message is kept either way)."""
    attachments: list[AttachmentIn] = []
    notes: list[str] = []
    limit = int(settings.CASEWAY_ATTACHMENT_MAX_BYTES)
    for index, ref in enumerate(sms.media):
        name = f"{sms.sid}-{index}{_extension(ref.content_type)}"
        try:
            media = rest.fetch_media(ref.url, max_bytes=limit)
            attachment = AttachmentIn(
                filename=name,
                content_type=ref.content_type or media.content_type,
                content=media.content,
            )
            check_attachment(attachment)
        except ConnectorError as exc:
            logger.warning("MMS media %s of %s not attached: %s", index, sms.sid, exc)
            notes.append(f"{name}: {exc}")
            continue
        attachments.append(attachment)
    return tuple(attachments), notes


def _extension(content_type: str) -> str:
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
        "text/vcard": ".vcf",
    }.get(content_type.split(";")[0].strip().lower(), "")


def inbound_message(
    sms: InboundSms,
    *,
    attachments: tuple[AttachmentIn, ...] = (),
    notes: list[str] | None = None,
    case_reference: str = "",
) -> InboundMessage:
    """The InboundMessage intake takes: a conversation that continues the sender's open
    SMS case. Media that could not be attached is said in the text and kept in the data."""
    text = sms.body
    if notes:
        lines = "\n".join(f"- {note}" for note in notes)
        text = f"{text}\n\n[Media not attached:\n{lines}]".strip()
    data: dict[str, object] = {"from": sms.sender, "to": sms.to}
    if sms.media:
        data["media"] = [{"url": m.url, "content_type": m.content_type} for m in sms.media]
    if notes:
        data["media_errors"] = notes
    if sms.keyword:
        data["keyword"] = sms.keyword
    return InboundMessage(
        channel=ChannelKind.SMS,
        provider_id=sms.sid,
        sender=Sender(kind=AddressKind.PHONE, address=sms.sender),
        text=text,
        attachments=attachments,
        case_reference=case_reference,
        continues_conversation=True,
        meta={"activity_data": data},
    )


def split_text(text: str, limit: int = MAX_BODY) -> list[str]:
    """Cut `text` into parts of at most `limit` characters at word boundaries, numbered
    "(1/3) " when there is more than one part. A word longer than a part is cut."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    room = limit - len("(99/99) ")
    parts: list[str] = []
    rest_text = text
    while rest_text:
        if len(rest_text) <= room:
            parts.append(rest_text)
            break
        cut = rest_text.rfind(" ", 0, room + 1)
        newline = rest_text.rfind("\n", 0, room + 1)
        cut = max(cut, newline)
        if cut <= 0:
            cut = room
        parts.append(rest_text[:cut].rstrip())
        rest_text = rest_text[cut:].lstrip()
    total = len(parts)
    return [f"({n}/{total}) {part}" for n, part in enumerate(parts, start=1)]


# Twilio's message statuses as Caseway's delivery statuses (cases.models.DeliveryStatus).
DELIVERY_OF_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}


def status_callback_path(activity_id: int) -> str:
    return reverse("telephony:sms_status", args=[activity_id])


class SmsAdapter:
    """Replies by SMS through Twilio's Messages API. Never to a number that opted out."""

    kinds: tuple[str, ...] = (ChannelKind.SMS,)
    address_kind = AddressKind.PHONE

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        to = to_e164(message.to.address) if message.to.kind == AddressKind.PHONE else ""
        if not to:
            raise ConnectorError("the customer has no phone number to text")
        stopped = consent.opted_out_since(to)
        if stopped is not None:
            raise ConnectorError(
                f"{to} replied STOP on {stopped:%Y-%m-%d %H:%M} UTC; no SMS is sent to it "
                "until they text START"
            )
        text = message.text.strip()
        if not text:
            raise ConnectorError("an SMS needs text")
        activity_id = message.meta.get("activity_id")
        callback = public_url(status_callback_path(int(activity_id))) if activity_id else ""
        parts: list[dict[str, str]] = []
        for body in split_text(text):
            try:
                created = rest.create_message(to=to, body=body, status_callback=callback)
            except rest.TwilioApiError as exc:
                if exc.code == rest.UNSUBSCRIBED_RECIPIENT:
                    consent.record_keyword(number=to, keyword=consent.STOP, via="twilio 21610")
                if parts:
                    raise ConnectorError(f"{exc} (after {len(parts)} parts were sent)") from exc
                raise
            parts.append({"sid": created.sid, "status": created.status})
        detail = f"{len(parts)} parts" if len(parts) > 1 else ""
        return DeliveryReceipt(
            status="sent", provider_id=parts[0]["sid"], detail=detail, data={"sms_parts": parts}
        )
