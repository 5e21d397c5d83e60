"""The one path in and the one path out.

receive(msg) runs in one transaction:
  1. store the raw message; (channel, provider_id) is unique, so a replay changes nothing
  2. resolve the sender's identity to a contact (created when new)
  3. thread: explicit case reference, a reply to one of our messages, or the open
     conversation on a conversational channel; otherwise open a new case
  4. append the message to the case's timeline
  5. + 6. a new case gets its entitlement and SLA timers, and its place: `_open_new_case`,
     the single point where SLA and routing (issue 03) happen; a customer's answer to an
     agent starts the next-response timer
  7. after commit: MessageReceived is published (workspace push, acknowledgements)

A message that cannot be processed is still kept: its record is written as failed, with the
reason, in a transaction of its own, and receiving it again retries it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from caseway.cases import services as case_services
from caseway.cases.exceptions import AttachmentRejected, EmptyMessage
from caseway.cases.models import (
    OPEN_STATUSES,
    Activity,
    ActivityKind,
    Case,
    CasePriority,
    CaseStatus,
    Queue,
)
from caseway.connectors.exceptions import PayloadRejected
from caseway.connectors.messages import InboundMessage
from caseway.connectors.registry import has_adapter
from caseway.core import sql
from caseway.core.events import publish
from caseway.core.kinds import ChannelKind
from caseway.customers.models import Contact
from caseway.customers.services import known_contact, new_contact
from caseway.intake.events import MessageReceived, ReplySent
from caseway.intake.exceptions import MessageRejected, NotEntitled
from caseway.intake.models import InboundRecord, InboundStatus
from caseway.routing import services as routing_services
from caseway.routing.rules import CaseFacts
from caseway.sla import services as sla_services
from caseway.sla.exceptions import EntitlementExhausted
from caseway.sla.models import CustomerTier

logger = logging.getLogger(__name__)


PROVIDER_ID_MAX = 300  # InboundRecord.provider_id and Activity.provider_id


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    activity: Activity | None
    is_new_case: bool
    is_replay: bool
    record_id: int


def receive(msg: InboundMessage, *, queue: Queue | None = None) -> IntakeResult:
    """Turn one inbound message into a new case or a message on an open one.

    Idempotent on (channel, provider_id). Raises MessageRejected for a message that cannot
    become a case (the record is kept as failed with the reason). `queue` is where a new
    case lands when no routing rule places it (the mailbox the email came to), instead of
    the default queue.
    """
    if not msg.provider_id:
        raise MessageRejected("a message needs a provider id to be de-duplicated")
    if len(msg.provider_id) > PROVIDER_ID_MAX:
        # Keep the key unique and within the column: a digest of the whole id.
        digest = hashlib.sha256(msg.provider_id.encode()).hexdigest()
        msg = dataclasses.replace(msg, provider_id=f"sha256:{digest}")
    try:
        try:
            with transaction.atomic():
                return _receive(msg, queue)
        except IntegrityError:
            # A concurrent receive won a race: for the same message, answer as a replay; for
            # the same new sender (identity) try once more, when the identity exists.
            replay = _replay(msg)
            if replay is not None:
                return replay
            with transaction.atomic():
                return _receive(msg, queue)
    except EntitlementExhausted as exc:
        _record_failure(msg, str(exc))
        raise NotEntitled(str(exc)) from exc
    except (EmptyMessage, AttachmentRejected, PayloadRejected, MessageRejected) as exc:
        reason = str(exc) or type(exc).__name__
        _record_failure(msg, reason)
        raise MessageRejected(reason) from exc
    except Exception:
        _record_failure(msg, traceback.format_exc(limit=5))
        raise


def _receive(msg: InboundMessage, queue: Queue | None = None) -> IntakeResult:
    now = timezone.now()
    _check_size(msg)
    # The writes that return nothing (SLA timers, the routing decision, the case's update)
    # travel with the INSERT of the timeline entry, where the database takes them together.
    with sql.together(router.db_for_write(Case)):
        return _receive_together(msg, queue, now)


def _receive_together(msg: InboundMessage, queue: Queue | None, now: datetime) -> IntakeResult:
    # The raw message is stored first; on PostgreSQL its INSERT travels with the read of the
    # sender's identity (sql.together()), and whether it was new is known after that read.
    stored = _insert_record(msg, now)
    known = known_contact(kind=msg.sender.kind, address=msg.sender.address)
    record_id = stored()
    if record_id is None:
        existing = InboundRecord.objects.select_for_update().get(
            channel=msg.channel, provider_id=msg.provider_id
        )
        if existing.status == InboundStatus.PROCESSED:
            replay = _replay(msg, record=existing)
            if replay is None:
                raise MessageRejected("processed before, but its timeline entry is gone")
            return replay
        # A failed earlier attempt: process it again.
        record_id = existing.pk
        sql.update_row(InboundRecord, record_id, {"status": InboundStatus.PROCESSED, "error": ""})

    resolved = known or new_contact(
        kind=msg.sender.kind, address=msg.sender.address, name=msg.sender.name
    )
    contact = resolved.contact
    case = None if resolved.is_new else _find_thread(msg, contact)
    is_new_case = case is None
    if case is None:
        case = _open_new_case(msg, contact, at=now, queue=queue)
    elif case.last_reply_at is not None:
        # The customer answers an agent: the next-response clock starts (unless it runs).
        sla_services.start_next_response(case=case, at=now)
    activity = case_services.record_inbound_message(
        case=case,
        contact=contact,
        channel=msg.channel,
        subject=msg.subject,
        text=msg.text,
        html=msg.html,
        provider_id=msg.provider_id,
        attachments=[(a.filename, a.content_type, a.content) for a in msg.attachments],
        is_new_case=is_new_case,
        data=msg.meta.get("activity_data") or {},
        at=now,
        kind=ActivityKind.PHONE_CALL if msg.is_call else ActivityKind.MESSAGE_IN,
    )
    publish(
        MessageReceived(
            case_id=case.pk, activity_id=activity.pk, is_new_case=is_new_case, channel=msg.channel
        )
    )
    return IntakeResult(
        case=case, activity=activity, is_new_case=is_new_case, is_replay=False, record_id=record_id
    )


def _check_size(msg: InboundMessage) -> None:
    limit = settings.CASEWAY_MESSAGE_MAX_CHARS
    if len(msg.text) > limit or len(msg.html) > limit * 4:
        raise MessageRejected(f"the message is longer than {limit} characters")


def _insert_record(msg: InboundMessage, now: datetime) -> Callable[[], int | None]:
    """Store the raw message; the function returned gives its id, or None when (channel,
    provider_id) exists, once the next statement has run (sql.insert_soon()).

    INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, SQLite >= 3.35) de-duplicates in
    one statement without a savepoint.
    """
    record = InboundRecord(
        channel=msg.channel,
        provider_id=msg.provider_id[:300],
        payload=msg.raw(),
        status=InboundStatus.PROCESSED,
        error="",
        received_at=now,
        attempts=1,
    )
    inserted = sql.insert_soon(record, on_conflict=("channel", "provider_id"))

    def stored_id() -> int | None:
        stored = inserted()
        return stored.pk if stored is not None else None

    return stored_id


def _replay(msg: InboundMessage, record: InboundRecord | None = None) -> IntakeResult | None:
    """The outcome of a message processed before: its timeline entry, found by the same
    (channel, provider id) that de-duplicates it, so processing writes the record once."""
    record = (
        record
        or InboundRecord.objects.filter(
            channel=msg.channel, provider_id=msg.provider_id, status=InboundStatus.PROCESSED
        ).first()
    )
    if record is None:
        return None
    activity = produced_activity(record)
    if activity is None:
        return None
    return IntakeResult(
        case=activity.case,
        activity=activity,
        is_new_case=False,
        is_replay=True,
        record_id=record.pk,
    )


def produced_activity(record: InboundRecord) -> Activity | None:
    """The timeline entry a processed inbound record became (with its case and contact)."""
    return (
        Activity.objects.select_related("case__contact", "case__queue")
        .filter(
            channel=record.channel,
            provider_id=record.provider_id,
            kind__in=(ActivityKind.MESSAGE_IN, ActivityKind.PHONE_CALL),
        )
        .order_by("pk")
        .first()
    )


def _record_failure(msg: InboundMessage, reason: str) -> None:
    """Keep a message that failed, in its own transaction, so nothing that arrived is lost."""
    try:
        with transaction.atomic():
            record, created = InboundRecord.objects.select_for_update().get_or_create(
                channel=msg.channel,
                provider_id=msg.provider_id[:300],
                defaults={
                    "payload": msg.raw(),
                    "status": InboundStatus.FAILED,
                    "error": reason,
                    "received_at": timezone.now(),
                },
            )
            if not created and record.status == InboundStatus.FAILED:
                record.error = reason
                record.attempts += 1
                record.save(update_fields=["error", "attempts"])
    except Exception:
        logger.exception("could not keep failed message %s:%s", msg.channel, msg.provider_id)
    logger.warning("message %s:%s rejected: %s", msg.channel, msg.provider_id, reason[:500])


THREADABLE_STATUSES = tuple(sorted(set(CaseStatus.values) - {CaseStatus.CANCELLED}))
OPEN_STATUS_VALUES = tuple(sorted(OPEN_STATUSES))


def _in(values: Sequence[object]) -> str:
    return "IN (" + ", ".join(["%s"] * len(values)) + ")"


def _find_thread(msg: InboundMessage, contact: Contact) -> Case | None:
    """The case this message continues, or None for a new case.

    Explicit references and replies to our messages may reopen a resolved case; a cancelled
    case is never reopened by a customer. Only the sender's own (or account's) cases count:
    quoting someone else's case number opens a new case. The case found is locked.
    """
    # Cases a contact may add to: their own, or their account's.
    customer, params = "c.contact_id = %s", [contact.pk]
    if contact.account_id:
        customer = "(c.contact_id = %s OR c.account_id = %s)"
        params.append(contact.account_id)
    threadable = f"c.status {_in(THREADABLE_STATUSES)}"
    if msg.case_reference:
        pk = Case.pk_from_number(msg.case_reference)
        if pk is not None:
            where = f"{customer} AND c.id = %s AND {threadable}"
            case = _locked_case(where, [*params, pk, *THREADABLE_STATUSES], contact)
            if case is not None:
                return case
    if msg.in_reply_to:
        provider_ids = list(msg.in_reply_to)[:50]
        activities = sql.table(Activity, router.db_for_read(Activity))
        where = (
            f"{customer} AND c.id IN (SELECT a.case_id FROM {activities} a "  # noqa: S608
            "WHERE a.channel = %s "
            f"AND a.provider_id {_in(provider_ids)}) AND {threadable} ORDER BY c.id DESC"
        )
        values = [*params, msg.channel, *provider_ids, *THREADABLE_STATUSES]
        case = _locked_case(where, values, contact)
        if case is not None:
            return case
    if msg.continues_conversation:
        where = (
            f"c.contact_id = %s AND c.status {_in(OPEN_STATUS_VALUES)} AND c.origin_channel = %s "
            "ORDER BY c.last_activity_at DESC, c.id DESC"
        )
        return _locked_case(where, [contact.pk, *OPEN_STATUS_VALUES, msg.channel], contact)
    return None


def _locked_case(where: str, params: list[object], contact: Contact) -> Case | None:
    """The first case (alias c) matching `where`, locked for the rest of the transaction.

    PostgreSQL locks the row (FOR UPDATE OF c); SQLite needs no row lock, as its IMMEDIATE
    transactions hold the write lock from the start. Raw SQL (caseway.core.sql), as every
    reply runs it.
    """
    using = router.db_for_write(Case)
    features = connections[using].features
    lock = ""
    if features.has_select_for_update_of:
        lock = " FOR UPDATE OF c"
    elif features.has_select_for_update:
        lock = " FOR UPDATE"
    statement = (
        f"SELECT {sql.columns(Case, 'c', using)} FROM {sql.table(Case, using)} c "  # noqa: S608
        f"WHERE {where} LIMIT 1{lock}"
    )
    row = sql.fetch_one(statement, params, using)
    if row is None:
        return None
    case = sql.RowReader(row, using).load(Case)
    if case.contact_id == contact.pk:
        Case.contact.field.set_cached_value(case, contact)
    return case


def _open_new_case(
    msg: InboundMessage, contact: Contact, *, at: datetime, queue: Queue | None = None
) -> Case:
    """Open a case for a message that continues none, and place it.

    This is the single place where entitlements and SLA (step 5: the contact's or account's
    contract, else the default entitlement) and routing (step 6: rules -> queue, priority and
    required skills, overflow) happen, in receive()'s transaction. The SLA timers start with
    the priority routing chose; assignment to an agent follows after commit (CaseRouted).
    """
    product = str(msg.meta.get("product") or "")
    priority = asked_priority(msg)
    choice = sla_services.choose_sla(
        contact=contact, channel=msg.channel, product=product, priority=priority
    )
    account = contact.account
    placement = routing_services.place_case(
        CaseFacts(
            channel=msg.channel,
            is_preferred=choice.tier == CustomerTier.PREFERRED,
            account_size=account.size if account else "",
            has_contract=choice.entitlement is not None and not choice.entitlement.is_default,
            sla_policy_id=choice.policy.id if choice.policy else None,
            priority=priority,
            language=contact.language,
            subject=msg.subject,
            text=msg.text,
            product=product,
            at=at,
        ),
        home_queue=queue,
    )
    if placement.priority != priority and choice.policy and choice.policy.priorities:
        # The policy's conditions look at the priority routing just set.
        choice = sla_services.choose_sla(
            contact=contact, channel=msg.channel, product=product, priority=placement.priority
        )
    case = case_services.open_case(
        contact=contact,
        subject=msg.subject or msg.text[:80],
        origin_channel=msg.channel,
        queue=placement.queue,
        priority=placement.priority,
        product=product,
        at=at,
    )
    sla_services.start_sla(case=case, choice=choice, at=at)
    routing_services.record_placement(case=case, placement=placement, at=at)
    return case


def asked_priority(msg: InboundMessage) -> str:
    """The priority a message asks its new case to start with: meta["priority"] when it is
    one (social listening raises a negative post's), else normal. Routing rules see it as
    the case's priority and may still set another."""
    asked = str(msg.meta.get("priority") or "")
    return asked if asked in CasePriority.values else str(CasePriority.NORMAL)


# Channels whose customer does not come back to read the timeline there: a kiosk visitor
# walks away from a shared screen, so a reply reaches them at the address they left.
LEFT_BEHIND_CHANNELS = frozenset({ChannelKind.KIOSK})


def reply_channel_for(case: Case) -> str:
    """The channel a reply goes out on by default: the one the customer used, or the portal
    when that channel has no adapter yet (the portal timeline always shows the reply). For a
    kiosk case: email to the address the visitor gave, else SMS to their number, when that
    channel can send."""
    if case.origin_channel in LEFT_BEHIND_CHANNELS:
        contact = case.contact
        for channel, address in (
            (ChannelKind.EMAIL, contact.email),
            (ChannelKind.SMS, contact.phone),
        ):
            if address and has_adapter(channel):
                return channel
    if has_adapter(case.origin_channel):
        return case.origin_channel
    return ChannelKind.PORTAL


def send(
    *,
    case: Case,
    agent: AbstractBaseUser,
    text: str,
    html: str = "",
    channel: str = "",
    attachments: Iterable[tuple[str, str, bytes]] = (),
    status: str | None = None,
    delivered: str = "",
) -> Activity:
    """Record an agent's reply on the timeline and hand it to the channel's adapter.

    The reply goes out on `channel` (default: reply_channel_for(case)); delivery runs as a
    background task after commit and records what the provider said on the activity.
    `delivered` says how the customer already has it (a live chat line, shown in the widget
    when it was stored): the reply is recorded as delivered with that detail, and no adapter
    is called.
    """
    from caseway.intake.tasks import deliver_reply

    with transaction.atomic():
        activity = case_services.record_reply(
            case=case,
            agent=agent,
            text=text,
            html=html,
            channel=channel or reply_channel_for(case),
            attachments=attachments,
            status=status,
            delivered=delivered,
        )
        publish(ReplySent(case_id=case.pk, activity_id=activity.pk, channel=activity.channel))
        if not delivered:
            transaction.on_commit(lambda: deliver_reply.enqueue(activity.pk))
    return activity
