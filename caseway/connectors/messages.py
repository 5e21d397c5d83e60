"""The message types every adapter produces and consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caseway.connectors.exceptions import PayloadRejected
from caseway.core.limits import attachment_refusal


@dataclass(frozen=True)
class Sender:
    """Who sent a message: an address of one kind (see core.kinds.AddressKind)."""

    kind: str
    address: str
    name: str = ""


@dataclass(frozen=True)
class AttachmentIn:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class InboundMessage:
    """One normalized message from any channel, ready for intake.receive().

    provider_id is the provider's own id (an email's Message-ID, an SMS sid); replays with
    the same (channel, provider_id) change nothing. case_reference is an explicit case
    number the customer quoted; in_reply_to lists provider ids of messages this answers;
    continues_conversation lets conversational channels (SMS, chat) continue the sender's
    open case on the same channel.
    """

    channel: str
    provider_id: str
    sender: Sender
    subject: str = ""
    text: str = ""
    html: str = ""
    attachments: tuple[AttachmentIn, ...] = ()
    case_reference: str = ""
    in_reply_to: tuple[str, ...] = ()
    continues_conversation: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    # A phone call (voice): recorded as a phone-call activity, which may carry no text.
    is_call: bool = False

    def raw(self) -> dict[str, Any]:
        """A JSON-able copy of everything but attachment bytes (kept as their sizes)."""
        return {
            "channel": self.channel,
            "provider_id": self.provider_id,
            "sender": {
                "kind": self.sender.kind,
                "address": self.sender.address,
                "name": self.sender.name,
            },
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in self.attachments
            ],
            "case_reference": self.case_reference,
            "in_reply_to": list(self.in_reply_to),
            "continues_conversation": self.continues_conversation,
            "meta": self.meta,
            "is_call": self.is_call,
        }


@dataclass(frozen=True)
class OutboundMessage:
    """A reply on its way to a customer through one channel."""

    channel: str
    to: Sender
    subject: str
    text: str
    html: str = ""
    reference: str = ""
    in_reply_to: tuple[str, ...] = ()
    attachments: tuple[AttachmentIn, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the provider said when we handed it a message."""

    status: str
    provider_id: str = ""
    detail: str = ""
    # Kept on the outbound activity (e.g. the sids of an SMS sent in several parts).
    data: dict[str, Any] = field(default_factory=dict)


def check_attachment(attachment: AttachmentIn) -> None:
    """Raise PayloadRejected when an attachment is too large or of a type we do not take."""
    refusal = attachment_refusal(
        filename=attachment.filename, content_type=attachment.content_type, size=attachment.size
    )
    if refusal:
        raise PayloadRejected(refusal)
