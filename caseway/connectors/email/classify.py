"""Which mail is written by a machine: auto-replies (never answered) and bounces (recorded on
the case of the message that bounced).

Auto-replies follow RFC 3834 (Auto-Submitted), plus the headers older responders and list
software set. Bounces are RFC 3464 delivery status notifications (multipart/report with a
message/delivery-status part), or a message from the mailer daemon that quotes the
original's Message-ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

from caseway.connectors.email.addresses import message_ids_in, normalize_address

AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-AutoReply-From")
DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon"})
_QUOTED_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Bounce:
    """A permanent delivery failure of one of our messages."""

    original_ids: tuple[str, ...]
    recipients: tuple[str, ...]
    status: str
    diagnostic: str

    def describe(self) -> str:
        parts = [", ".join(self.recipients)] if self.recipients else []
        if self.status:
            parts.append(self.status)
        if self.diagnostic:
            parts.append(self.diagnostic)
        return "; ".join(parts)


def auto_reply_reason(msg: Message) -> str:
    """Why this message was written by a machine (the header that says so), or ""."""
    submitted = _get(msg, "Auto-Submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {submitted}"
    for name in AUTO_HEADERS:
        if msg.get(name) is not None:
            return f"{name} header"
    precedence = _get(msg, "Precedence").lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _get(msg, "X-MS-Exchange-Generated-Message-Source") or _get(
        msg, "X-MS-Exchange-Inbox-Rules-Loop"
    ):
        return "Exchange generated message"
    return ""


def find_bounce(msg: EmailMessage, *, sender: str) -> Bounce | None:
    """The failure this message reports, or None when it is no bounce (or only a delay)."""
    is_report = (
        msg.get_content_type() == "multipart/report"
        and str(msg.get_param("report-type", "")).lower() == "delivery-status"
    )
    local_part = normalize_address(sender).split("@")[0]
    if not is_report and local_part not in DAEMON_LOCAL_PARTS:
        return None
    recipients: list[str] = []
    statuses: list[str] = []
    diagnostics: list[str] = []
    actions: list[str] = []
    original_ids: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in _status_blocks(part):
                action = _get(block, "Action").lower()
                if action:
                    actions.append(action)
                recipient = _get(block, "Final-Recipient") or _get(block, "Original-Recipient")
                if recipient:
                    recipients.append(recipient.split(";")[-1].strip())
                if _get(block, "Status"):
                    statuses.append(_get(block, "Status"))
                if _get(block, "Diagnostic-Code"):
                    diagnostics.append(" ".join(_get(block, "Diagnostic-Code").split()))
        elif ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                original_ids += message_ids_in(_get(inner, "Message-ID"))
        elif ctype == "text/rfc822-headers" or (ctype == "text/plain" and not original_ids):
            text = _text_of(part)
            original_ids += [m.strip("<>") for m in _QUOTED_MESSAGE_ID.findall(text)]
    if actions and "failed" not in actions:
        return None  # "delayed" or "delivered": a notice, not a failure
    if not actions and statuses and not any(s.startswith("5") for s in statuses):
        return None
    return Bounce(
        original_ids=tuple(dict.fromkeys(original_ids)),
        recipients=tuple(dict.fromkeys(recipients)),
        status=", ".join(dict.fromkeys(statuses)),
        diagnostic="; ".join(dict.fromkeys(diagnostics))[:500],
    )


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    return []


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""


def _get(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):
        return ""
    return str(value).strip() if value is not None else ""
