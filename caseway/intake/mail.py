"""Email through the one intake path: store what arrived, then parse and receive it.

Every entry point (the SMTP listener, IMAP polling, `caseway ingest-eml`) calls
`receive_email`, which

1. stores the bytes as an InboundEmail and commits, before anything is parsed, so nothing
   that arrived is lost (the same mail again is recognised by its Message-ID: a replay);
2. parses it (caseway.connectors.email.parsing);
3. sorts out what a machine wrote: a bounce of one of our replies marks that reply failed
   on its case; mail from our own addresses (a loop) and automatic replies are recorded
   and never answered (no case is opened for them, so nothing is ever sent back);
4. hands a person's message to `receive()`, opening new cases in the mailbox's queue.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from caseway.cases.delivery import add_system_note, record_delivery_failure
from caseway.cases.models import Activity, ActivityKind, Case
from caseway.connectors.email.addresses import message_ids_in, normalize_address
from caseway.connectors.email.classify import Bounce
from caseway.connectors.email.imap import ImapAccount, fetch_new_mail
from caseway.connectors.email.parsing import ParsedEmail, parse_email
from caseway.connectors.exceptions import ConnectorError, PayloadRejected
from caseway.core.kinds import ChannelKind
from caseway.intake.email_models import EmailSource, EmailStatus, InboundEmail, Mailbox
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import receive

logger = logging.getLogger(__name__)

DONE_STATUSES = frozenset(
    {EmailStatus.PROCESSED, EmailStatus.AUTO_REPLY, EmailStatus.LOOP, EmailStatus.BOUNCE}
)


@dataclass(frozen=True)
class EmailOutcome:
    """What became of one email: its stored row, its status, and the case it is on."""

    email_id: int
    status: str
    case_number: str = ""
    is_new_case: bool = False
    is_replay: bool = False
    detail: str = ""


def is_our_address(address: str) -> bool:
    """Whether mail to this address is ours to take (an active mailbox)."""
    return Mailbox.objects.filter(address=normalize_address(address), is_active=True).exists()


def our_addresses() -> set[str]:
    addresses = set(Mailbox.objects.filter(is_active=True).values_list("address", flat=True))
    addresses.add(normalize_address(settings.DEFAULT_FROM_EMAIL))
    return addresses


def mailbox_for(addresses: Iterable[str]) -> Mailbox | None:
    """The first active mailbox among the addresses, in their order."""
    wanted = [normalize_address(a) for a in addresses]
    found = {
        m.address: m
        for m in Mailbox.objects.filter(address__in=wanted, is_active=True).select_related("queue")
    }
    return next((found[a] for a in wanted if a in found), None)


def receive_email(
    *,
    raw: bytes,
    source: str,
    mailbox: Mailbox | None = None,
    envelope_from: str = "",
    envelope_to: Iterable[str] = (),
) -> EmailOutcome:
    """Store one email, then turn it into what it is (see the module docstring).

    Returns once the email is stored and processed; a message that cannot become a case is
    kept as failed with the reason (its outcome says so) and never raises. Only a failure to
    store it raises, and then nothing was kept: the sender must try again.
    """
    email, created = store_email(
        raw=raw,
        source=source,
        mailbox=mailbox,
        envelope_from=envelope_from,
        envelope_to=list(envelope_to),
    )
    if not created and email.status in DONE_STATUSES:
        return EmailOutcome(
            email_id=email.pk,
            status=email.status,
            case_number=email.case.number if email.case else "",
            is_replay=True,
            detail=email.detail,
        )
    return process_email(email=email)


def store_email(
    *,
    raw: bytes,
    source: str,
    mailbox: Mailbox | None = None,
    envelope_from: str = "",
    envelope_to: list[str] | None = None,
) -> tuple[InboundEmail, bool]:
    """Keep the bytes (committed); return the row and whether it is new."""
    message_id = _message_id_of(raw)
    key = f"mid:{message_id}" if message_id else f"sha256:{hashlib.sha256(raw).hexdigest()}"
    if len(key) > 300:
        key = f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    existing = InboundEmail.objects.select_related("case", "mailbox").filter(dedupe_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            email = InboundEmail.objects.create(
                mailbox=mailbox,
                source=source,
                dedupe_key=key,
                message_id=message_id[:300],
                envelope_from=envelope_from[:320],
                envelope_to=envelope_to or [],
                raw=raw,
                size=len(raw),
                received_at=timezone.now(),
            )
    except IntegrityError:
        # The same mail arrived twice at once (two recipients, two pollers): one row wins.
        return InboundEmail.objects.select_related("case", "mailbox").get(dedupe_key=key), False
    return email, True


def _message_id_of(raw: bytes) -> str:
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        ids = message_ids_in(str(headers.get("Message-ID") or ""))
    except (ValueError, TypeError, IndexError, UnicodeError):
        return ""
    return ids[0] if ids else ""


def process_email(*, email: InboundEmail) -> EmailOutcome:
    """Parse a stored email and put it where it belongs; record the outcome on the row."""
    try:
        parsed = parse_email(bytes(email.raw))
    except (PayloadRejected, ValueError, TypeError, LookupError, IndexError) as exc:
        return _finish(email, EmailStatus.FAILED, detail=f"unreadable message: {exc}")
    mailbox = email.mailbox or mailbox_for([*email.envelope_to, *parsed.recipients])
    sender = parsed.message.sender.address
    if parsed.bounce is not None:
        return _record_bounce(email, parsed, parsed.bounce)
    if sender in our_addresses():
        return _finish(
            email, EmailStatus.LOOP, detail=gettext("sent from our own address %s") % sender
        )
    if parsed.auto_reply:
        return _record_auto_reply(email, parsed)
    activity_data = dict(parsed.message.meta.get("activity_data") or {})
    activity_data["inbound_email"] = email.pk
    if mailbox is not None:
        activity_data["received_on"] = mailbox.address
        activity_data["received_on_name"] = mailbox.name
    message = dataclasses.replace(
        parsed.message,
        meta={**parsed.message.meta, "activity_data": activity_data},
    )
    try:
        result = receive(message, queue=mailbox.queue if mailbox else None)
    except MessageRejected as exc:
        return _finish(email, EmailStatus.FAILED, detail=str(exc), mailbox=mailbox)
    return _finish(
        email,
        EmailStatus.PROCESSED,
        case=result.case,
        mailbox=mailbox,
        is_new_case=result.is_new_case,
        is_replay=result.is_replay,
    )


def _record_bounce(email: InboundEmail, parsed: ParsedEmail, bounce: Bounce) -> EmailOutcome:
    """Mark the reply that bounced as failed, with a note on its case."""
    reply = (
        Activity.objects.filter(
            channel=ChannelKind.EMAIL,
            kind=ActivityKind.MESSAGE_OUT,
            provider_id__in=list(bounce.original_ids)[:20],
        )
        .select_related("case")
        .first()
        if bounce.original_ids
        else None
    )
    detail = bounce.describe() or parsed.message.subject
    if reply is None:
        return _finish(
            email,
            EmailStatus.BOUNCE,
            detail=gettext("bounce of a message that is not ours: %s") % detail,
        )
    record_delivery_failure(activity=reply, detail=detail, data={"inbound_email": email.pk})
    return _finish(email, EmailStatus.BOUNCE, detail=detail, case=reply.case)


def _record_auto_reply(email: InboundEmail, parsed: ParsedEmail) -> EmailOutcome:
    """Note an automatic reply on the case it answers (if any); it is never answered and
    changes neither the case's status nor its SLA."""
    message = parsed.message
    case = _case_answered_by(message.in_reply_to)
    detail = gettext("automatic reply (%(reason)s): %(subject)s") % {
        "reason": parsed.auto_reply,
        "subject": message.subject,
    }
    if case is not None:
        with transaction.atomic():
            add_system_note(
                case=case,
                text=gettext(
                    "Automatic reply from %(sender)s, not answered: %(subject)s\n\n%(text)s"
                )
                % {
                    "sender": message.sender.address,
                    "subject": message.subject,
                    "text": message.text[:2000],
                },
                data={"inbound_email": email.pk, "auto_reply": parsed.auto_reply},
            )
    return _finish(email, EmailStatus.AUTO_REPLY, detail=detail, case=case)


def _case_answered_by(message_ids: Iterable[str]) -> Case | None:
    ids = list(message_ids)[:20]
    if not ids:
        return None
    activity = (
        Activity.objects.filter(channel=ChannelKind.EMAIL, provider_id__in=ids)
        .select_related("case")
        .order_by("-pk")
        .first()
    )
    return activity.case if activity else None


def _finish(
    email: InboundEmail,
    status: str,
    *,
    detail: str = "",
    case: Case | None = None,
    mailbox: Mailbox | None = None,
    is_new_case: bool = False,
    is_replay: bool = False,
) -> EmailOutcome:
    email.status = status
    email.detail = detail[:2000]
    email.case = case
    email.processed_at = timezone.now()
    fields = ["status", "detail", "case", "processed_at"]
    if mailbox is not None and email.mailbox_id is None:
        email.mailbox = mailbox
        fields.append("mailbox")
    email.save(update_fields=fields)
    if status == EmailStatus.FAILED:
        logger.warning("email %s kept as failed: %s", email.pk, detail[:300])
    return EmailOutcome(
        email_id=email.pk,
        status=status,
        case_number=case.number if case else "",
        is_new_case=is_new_case,
        is_replay=is_replay,
        detail=email.detail,
    )


def imap_password(mailbox: Mailbox) -> str:
    """The password named by the mailbox: an environment variable, else a Django setting."""
    name = mailbox.imap_password_setting.strip()
    if not name:
        return ""
    return os.environ.get(name) or str(getattr(settings, name, "") or "")


def poll_mailbox(mailbox: Mailbox) -> int:
    """Fetch a mailbox's new mail over IMAP into intake; return how many were taken.

    A message is marked seen (or moved) only after receive_email committed it.
    """
    account = ImapAccount(
        host=mailbox.imap_host,
        port=mailbox.imap_port,
        username=mailbox.imap_username,
        password=imap_password(mailbox),
        security=mailbox.imap_security,
        folder=mailbox.imap_folder or "INBOX",
        processed_folder=mailbox.imap_processed_folder,
        timeout=settings.CASEWAY_IMAP_TIMEOUT_SECONDS,
    )

    def handle(raw: bytes) -> bool:
        try:
            receive_email(raw=raw, source=EmailSource.IMAP, mailbox=mailbox)
        except Exception:
            logger.exception("IMAP: could not store a message of %s", mailbox.address)
            return False
        return True

    error = ""
    taken = 0
    try:
        taken = fetch_new_mail(account, handle=handle)
    except ConnectorError as exc:
        error = str(exc)
        logger.warning("IMAP polling of %s failed: %s", mailbox.address, error)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=timezone.now(), last_poll_error=error[:2000]
    )
    return taken


def poll_mailboxes() -> int:
    """Poll every active mailbox that has IMAP settings; one failing does not stop the rest."""
    taken = 0
    mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="").select_related("queue")
    for mailbox in mailboxes:
        if mailbox.polls_imap:
            taken += poll_mailbox(mailbox)
    if taken:
        logger.info("IMAP: %s new messages", taken)
    return taken
