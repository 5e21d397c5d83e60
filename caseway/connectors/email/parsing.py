"""Raw RFC 5322 bytes in, one InboundMessage out, whatever the MIME structure.

Decoding never gives up on a message a person can read: unknown or wrong charsets fall back
to UTF-8 and then Latin-1 with replacement; headers are decoded from RFC 2047 words and
RFC 2231 parameters. Only a message without a sender address is refused (PayloadRejected).
Limits on attachments are checked by intake (caseway.core.limits) so a refusal is recorded
with the raw message kept.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from django.conf import settings

from caseway.connectors.email.addresses import addresses_in, message_ids_in, normalize_address
from caseway.connectors.email.classify import Bounce, auto_reply_reason, find_bounce
from caseway.connectors.email.quoting import html_to_text, trim_html, trim_text
from caseway.connectors.exceptions import PayloadRejected
from caseway.connectors.messages import AttachmentIn, InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind

MAX_REFERENCES = 30


@dataclass(frozen=True)
class ParsedEmail:
    """A parsed email: the message for intake and what a machine said about it.

    `auto_reply` holds why the message was written by a machine ("" for a person);
    `bounce` is set for a delivery failure of one of our messages.
    """

    message: InboundMessage
    message_id: str
    recipients: tuple[str, ...]
    auto_reply: str = ""
    bounce: Bounce | None = None
    defects: tuple[str, ...] = field(default=())


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one email. Raises PayloadRejected when it names no sender address."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    sender_name, sender_address = _sender(msg)
    if not sender_address:
        raise PayloadRejected("the message has no valid From address")
    message_ids = message_ids_in(_header(msg, "Message-ID"))
    message_id = message_ids[0] if message_ids else "sha256:" + hashlib.sha256(raw).hexdigest()
    subject = " ".join(_header(msg, "Subject").split())
    in_reply_to = _thread_ids(msg)
    body = _Body()
    body.collect(msg)
    is_reply = bool(in_reply_to)
    text = body.text
    html = body.html
    if not text.strip() and html:
        text = html_to_text(html)
    shown_text = trim_text(text) if is_reply else text
    shown_html = trim_html(html) if is_reply and html else html
    to = addresses_in(_header(msg, "To"))
    cc = addresses_in(_header(msg, "Cc"))
    email_data: dict[str, Any] = {
        "message_id": message_id,
        "from": sender_address,
        "to": to,
        "cc": cc,
        "date": _date(msg),
        "is_trimmed": shown_text != text or shown_html != html,
    }
    if body.inline:
        email_data["inline"] = body.inline
    message = InboundMessage(
        channel=ChannelKind.EMAIL,
        provider_id=message_id,
        sender=Sender(kind=AddressKind.EMAIL, address=sender_address, name=sender_name),
        subject=subject,
        text=shown_text.strip(),
        html=shown_html,
        attachments=tuple(body.attachments),
        case_reference=case_reference_in(subject),
        in_reply_to=tuple(in_reply_to),
        meta={"activity_data": {"email": email_data}},
    )
    return ParsedEmail(
        message=message,
        message_id=message_id,
        recipients=tuple(to + [a for a in cc if a not in to]),
        auto_reply=auto_reply_reason(msg),
        bounce=find_bounce(msg, sender=sender_address),
        defects=tuple(type(d).__name__ for d in msg.defects),
    )


def case_reference_in(subject: str) -> str:
    """The case number quoted in a subject: "[CW-00042]" first, then a bare "CW-42"."""
    prefix = re.escape(settings.CASEWAY_CASE_PREFIX)
    for pattern in (rf"\[\s*({prefix}-\d{{1,12}})\s*\]", rf"\b({prefix}-\d{{1,12}})\b"):
        found = re.search(pattern, subject, re.IGNORECASE)
        if found:
            return found.group(1).upper()
    return ""


def _sender(msg: EmailMessage) -> tuple[str, str]:
    for name in ("From", "Sender", "Reply-To"):
        value = _header(msg, name)
        for display, address in getaddresses([value]) if value else []:
            if "@" in address:
                return display.strip()[:200], normalize_address(address)
    return "", ""


def _thread_ids(msg: EmailMessage) -> list[str]:
    """In-Reply-To first, then References newest first: the order threading tries them."""
    ids = message_ids_in(_header(msg, "In-Reply-To"))
    ids += reversed(message_ids_in(_header(msg, "References")))
    return list(dict.fromkeys(ids))[:MAX_REFERENCES]


def _header(msg: Message, name: str) -> str:
    """A header decoded to text; a header the strict parser chokes on is decoded leniently."""
    try:
        value = msg.get(name)
        return str(value) if value is not None else ""
    except (ValueError, IndexError, TypeError, LookupError, AttributeError):
        pass
    for key, raw in msg.raw_items():
        if key.lower() == name.lower():
            try:
                return str(make_header(decode_header(str(raw))))
            except (ValueError, LookupError, UnicodeError):
                return str(raw).encode("ascii", "replace").decode()
    return ""


def _date(msg: Message) -> str:
    value = _header(msg, "Date")
    try:
        return parsedate_to_datetime(value).isoformat() if value else ""
    except (TypeError, ValueError, IndexError):
        return ""


def decode_part(part: Message) -> str:
    """The text of a part in its declared charset, falling back to UTF-8, then Latin-1."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset() or "us-ascii"
    for charset in (declared, "utf-8"):
        try:
            return _lines(payload.decode(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    return _lines(payload.decode("latin-1", errors="replace"))


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Body:
    """Walks the MIME tree: the best text and HTML alternatives, attachments, inline parts."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[AttachmentIn] = []
        self.inline: dict[str, str] = {}

    @property
    def text(self) -> str:
        return "\n\n".join(t.strip("\n") for t in self.texts if t.strip())

    @property
    def html(self) -> str:
        return "\n".join(self.htmls)

    def collect(self, part: Message) -> None:
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        if ctype == "multipart/alternative":
            self._collect_alternative(part)
        elif part.is_multipart() and ctype != "message/rfc822":
            payload = part.get_payload()
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):
                    self.collect(child)
        elif ctype == "message/delivery-status" or ctype == "text/rfc822-headers":
            return  # a bounce's machine part; classify.find_bounce reads it
        elif ctype == "text/plain" and disposition != "attachment":
            self.texts.append(decode_part(part))
        elif ctype == "text/html" and disposition != "attachment":
            self.htmls.append(decode_part(part))
        else:
            self._attach(part, ctype)

    def _collect_alternative(self, part: Message) -> None:
        """Of the alternatives, keep the richest text and HTML (clients put them last)."""
        payload = part.get_payload()
        children = (
            [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []
        )
        plain = [c for c in children if c.get_content_type() == "text/plain"]
        rich = [c for c in children if c.get_content_type() not in ("text/plain",)]
        if plain:
            self.texts.append(decode_part(plain[-1]))
        if rich:
            self.collect(rich[-1])

    def _attach(self, part: Message, ctype: str) -> None:
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            message = inner[0] if isinstance(inner, list) and inner else None
            content = message.as_bytes() if isinstance(message, Message) else b""
            ctype = "message/rfc822"
        else:
            decoded = part.get_payload(decode=True)
            content = decoded if isinstance(decoded, bytes) else b""
        filename = _filename(part) or self._fallback_name(ctype)
        if ctype == "application/octet-stream":
            ctype = mimetypes.guess_type(filename)[0] or ctype
        content_id = _header(part, "Content-ID").strip().strip("<>")
        if content_id:
            self.inline[content_id] = filename
        self.attachments.append(
            AttachmentIn(filename=filename[:255], content_type=ctype, content=content)
        )

    def _fallback_name(self, ctype: str) -> str:
        extension = mimetypes.guess_extension(ctype) or ".bin"
        if ctype == "message/rfc822":
            extension = ".eml"
        return f"attachment-{len(self.attachments) + 1}{extension}"


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except (ValueError, LookupError, TypeError):
        name = None
    if not name:
        return ""
    # Keep the base name only: a filename is never a path on our side.
    return str(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
