"""Replies out through SMTP (Django's email backend: EMAIL_HOST, EMAIL_PORT, ...).

Each reply gets its own Message-ID, returned as the receipt's provider id so the customer's
answer (In-Reply-To) threads onto the case; In-Reply-To and References name the messages it
answers so it threads in the customer's mail client; the subject carries the case number
("[CW-00042]") for clients that drop those headers. It is sent From the mailbox the case came
in on (`meta["received_on"]`), else DEFAULT_FROM_EMAIL.
"""

from __future__ import annotations

import smtplib
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from caseway.connectors.email.addresses import bracketed
from caseway.connectors.exceptions import ConnectorError
from caseway.connectors.messages import DeliveryReceipt, OutboundMessage
from caseway.core.kinds import ChannelKind


class EmailAdapter:
    """Email: SMTP out. (In: the SMTP listener and IMAP polling, through intake.)"""

    kinds: tuple[str, ...] = (ChannelKind.EMAIL,)

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        if not message.to.address or "@" not in message.to.address:
            raise ConnectorError("the contact has no email address")
        sender = str(message.meta.get("received_on") or settings.DEFAULT_FROM_EMAIL)
        sender_name = str(message.meta.get("sender_name") or "")
        message_id = make_msgid(domain=sender.rsplit("@", 1)[-1])
        headers = {"Message-ID": message_id}
        if message.in_reply_to:
            headers["In-Reply-To"] = bracketed(message.in_reply_to[0])
            headers["References"] = " ".join(bracketed(i) for i in reversed(message.in_reply_to))
        if message.reference:
            headers["X-Caseway-Case"] = message.reference
        email = EmailMultiAlternatives(
            subject=subject_with_reference(message.subject, message.reference),
            body=message.text,
            from_email=formataddr((sender_name, sender)),
            to=[formataddr((message.to.name, message.to.address))],
            headers=headers,
            connection=get_connection(),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            email.attach(attachment.filename, attachment.content, attachment.content_type)
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(f"SMTP refused the reply: {exc}") from exc
        return DeliveryReceipt(
            status="sent",
            provider_id=message_id.strip("<>"),
            detail=f"handed to SMTP for {message.to.address}",
        )


def subject_with_reference(subject: str, reference: str) -> str:
    tag = f"[{reference}]"
    if not reference or tag.lower() in subject.lower():
        return subject
    return f"{subject} {tag}".strip()
