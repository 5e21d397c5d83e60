"""Every write on cases: open, message, note, status, assignment, queue, delivery.

Services lock the case row they change, save with update_fields, write the audit trail for
field changes and publish events after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from caseway.cases.events import (
    ActivityAdded,
    CaseAssigned,
    CaseOpened,
    CaseUpdated,
    NotificationSent,
)
from caseway.cases.exceptions import (
    AttachmentRejected,
    CaseClosed,
    EmptyMessage,
    NotAnAgent,
    TransitionNotAllowed,
)
from caseway.cases.models import (
    Activity,
    ActivityKind,
    Attachment,
    AuditEntry,
    Case,
    CasePriority,
    CaseStatus,
    DeliveryStatus,
    Notification,
    Queue,
)
from caseway.cases.queries import is_agent
from caseway.core import sql
from caseway.core.events import publish
from caseway.core.kinds import ChannelKind
from caseway.core.limits import attachment_refusal
from caseway.core.sanitize import clean_html
from caseway.customers.models import Contact

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _label(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "Caseway"
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def require_agent(user: AbstractBaseUser) -> None:
    """Raise NotAnAgent unless the user works cases."""
    if not is_agent(user):
        raise NotAnAgent(str(user))


def check_attachment_file(*, filename: str, content_type: str, size: int) -> None:
    """Raise AttachmentRejected when a file is over the size limit or of a refused type."""
    refusal = attachment_refusal(filename=filename, content_type=content_type, size=size)
    if refusal:
        raise AttachmentRejected(refusal)


def _store_attachments(
    *, case: Case, activity: Activity, files: Iterable[tuple[str, str, bytes]]
) -> list[Attachment]:
    stored = []
    for filename, content_type, content in files:
        check_attachment_file(filename=filename, content_type=content_type, size=len(content))
        safe_name = get_valid_filename(filename) or "attachment"
        attachment = Attachment(
            case=case,
            activity=activity,
            filename=filename[:255],
            content_type=content_type[:120],
            size=len(content),
        )
        attachment.file.save(safe_name, ContentFile(content), save=False)
        stored.append(attachment)
    if stored:
        Attachment.objects.bulk_create(stored)
    return stored


def open_case(
    *,
    contact: Contact,
    subject: str,
    origin_channel: str,
    queue: Queue,
    priority: str = CasePriority.NORMAL,
    product: str = "",
    at: datetime | None = None,
) -> Case:
    """Create a case for a contact in a queue. Must run inside the caller's transaction.

    Runs for every new message, so its INSERT is precompiled (caseway.core.sql).
    """
    at = at or timezone.now()
    case = Case(
        subject=(subject.strip() or "(no subject)")[:300],
        origin_channel=origin_channel,
        contact=contact,
        account_id=contact.account_id,
        queue=queue,
        priority=priority,
        product=product.strip()[:120],
        status=CaseStatus.NEW,
        status_changed_at=at,
        queued_at=at,
        last_activity_at=at,
        last_customer_message_at=at,
    )
    sql.insert(case)
    publish(CaseOpened(case_id=case.pk, channel=origin_channel))
    return case


def record_inbound_message(
    *,
    case: Case,
    contact: Contact,
    channel: str,
    subject: str = "",
    text: str = "",
    html: str = "",
    provider_id: str = "",
    attachments: Iterable[tuple[str, str, bytes]] = (),
    is_new_case: bool = False,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    kind: str = ActivityKind.MESSAGE_IN,
) -> Activity:
    """Append a customer's message to the timeline; a waiting or closed case becomes active.

    `case` must be locked by the caller (or just created, then `is_new_case`). Runs for every
    inbound message, so its INSERT and UPDATE are precompiled (caseway.core.sql). A phone
    call (`kind` PHONE_CALL) may carry no text and is internal (customers see messages).
    """
    at = at or timezone.now()
    attachments = list(attachments)
    is_call = kind == ActivityKind.PHONE_CALL
    if not is_call and not text.strip() and not html.strip() and not attachments:
        raise EmptyMessage()
    activity = Activity(
        case=case,
        kind=kind,
        channel=channel,
        is_public=not is_call,
        author_contact=contact,
        subject=subject[:300],
        text=text,
        html=clean_html(html),
        provider_id=provider_id[:300],
        data=data or {},
        created_at=at,
    )
    fields = ["last_activity_at", "last_customer_message_at", "updated_at"]
    reopens = not is_new_case and case.status not in (CaseStatus.NEW, CaseStatus.ACTIVE)
    if not is_new_case and not reopens:
        # Written before the INSERT so that, in intake's sql.together(), both travel as one
        # statement; a case that reopens writes its status change after the message.
        case.last_activity_at = at
        case.last_customer_message_at = at
        sql.save_fields(case, fields)
    sql.insert(activity)
    if attachments:
        _store_attachments(case=case, activity=activity, files=attachments)
    if reopens:
        case.last_activity_at = at
        case.last_customer_message_at = at
        _set_status(case=case, status=CaseStatus.ACTIVE, actor=None, at=at, force=True)
        fields += STATUS_FIELDS
        sql.save_fields(case, fields)
    if not is_new_case:
        publish(CaseUpdated(case_id=case.pk, fields=tuple(fields)))
    publish(ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind=activity.kind))
    return activity


@transaction.atomic
def record_reply(
    *,
    case: Case,
    agent: AbstractBaseUser,
    text: str,
    html: str = "",
    channel: str = "",
    attachments: Iterable[tuple[str, str, bytes]] = (),
    status: str | None = None,
    at: datetime | None = None,
    delivered: str = "",
) -> Activity:
    """Record an agent's public reply (pending delivery) on the timeline.

    Sets the first response time, moves a new case to active, and optionally changes the
    status in the same transaction ("reply and set waiting on customer"). `delivered` says
    how the customer already has it: the reply is then recorded as delivered, with that
    detail.
    """
    require_agent(agent)
    at = at or timezone.now()
    attachments = list(attachments)
    if not text.strip() and not attachments:
        raise EmptyMessage()
    case = Case.objects.select_for_update().get(pk=case.pk)
    channel = channel or case.origin_channel
    activity = Activity.objects.create(
        case=case,
        kind=ActivityKind.MESSAGE_OUT,
        channel=channel,
        is_public=True,
        author_agent=cast("User", agent),
        subject=f"Re: {case.subject}"[:300],
        text=text,
        html=clean_html(html),
        delivery_status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.PENDING,
        data={"delivery_detail": delivered} if delivered else {},
        created_at=at,
    )
    _store_attachments(case=case, activity=activity, files=attachments)
    fields = ["last_activity_at", "last_reply_at", "updated_at"]
    case.last_activity_at = at
    case.last_reply_at = at
    if case.first_response_at is None:
        case.first_response_at = at
        fields.append("first_response_at")
    target = status or (CaseStatus.ACTIVE if case.status == CaseStatus.NEW else None)
    if target and target != case.status:
        _set_status(case=case, status=target, actor=agent, at=at)
        fields += STATUS_FIELDS
    case.save(update_fields=fields)
    publish(ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind=activity.kind))
    publish(CaseUpdated(case_id=case.pk, fields=tuple(fields)))
    return activity


@transaction.atomic
def add_note(
    *,
    case: Case,
    agent: AbstractBaseUser,
    text: str,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    at: datetime | None = None,
) -> Activity:
    """Add an internal note, visible to agents only."""
    require_agent(agent)
    attachments = list(attachments)
    if not text.strip() and not attachments:
        raise EmptyMessage()
    at = at or timezone.now()
    activity = Activity.objects.create(
        case=case,
        kind=ActivityKind.NOTE,
        channel=ChannelKind.INTERNAL,
        is_public=False,
        author_agent=cast("User", agent),
        text=text,
        created_at=at,
    )
    _store_attachments(case=case, activity=activity, files=attachments)
    Case.objects.filter(pk=case.pk).update(last_activity_at=at, updated_at=at)
    publish(ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind=activity.kind))
    return activity


# The fields _set_status changes; callers save them.
STATUS_FIELDS = ["status", "resolved_at", "status_changed_at"]


def _set_status(
    *,
    case: Case,
    status: str,
    actor: AbstractBaseUser | None,
    at: datetime,
    force: bool = False,
) -> None:
    """Change status in memory and write its audit entry and timeline entry; caller saves."""
    if not force and not case.can_become(status):
        raise TransitionNotAllowed(case.status, status)
    before = case.status
    case.status = status
    case.status_changed_at = at
    if status == CaseStatus.RESOLVED:
        case.resolved_at = at
    elif before in (CaseStatus.RESOLVED, CaseStatus.CANCELLED):
        case.resolved_at = None
    AuditEntry.objects.create(
        case=case,
        actor=cast("User | None", actor),
        actor_label=_label(actor),
        field="status",
        before=before,
        after=status,
        at=at,
    )
    Activity.objects.create(
        case=case,
        kind=ActivityKind.STATUS_CHANGE,
        channel=ChannelKind.INTERNAL,
        author_agent=cast("User | None", actor),
        data={"from": before, "to": status},
        created_at=at,
    )


@transaction.atomic
def change_status(*, case: Case, status: str, actor: AbstractBaseUser) -> Case:
    """Move a case along its workflow (see CASE_TRANSITIONS)."""
    require_agent(actor)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if status == case.status:
        return case
    at = timezone.now()
    _set_status(case=case, status=status, actor=actor, at=at)
    case.last_activity_at = at
    case.save(update_fields=[*STATUS_FIELDS, "last_activity_at", "updated_at"])
    publish(CaseUpdated(case_id=case.pk, fields=("status",)))
    return case


@transaction.atomic
def assign_case(
    *, case: Case, owner: AbstractBaseUser | None, actor: AbstractBaseUser | None
) -> Case:
    """Give an open case to an agent (None: back to the queue) and record who did it.

    `actor` None is Caseway itself (routing's assignment)."""
    if actor is not None:
        require_agent(actor)
    if owner is not None:
        require_agent(owner)
    case = Case.objects.select_for_update(of=("self",)).select_related("owner").get(pk=case.pk)
    if not case.is_open:
        raise CaseClosed(case.pk)
    if case.owner_id == (owner.pk if owner else None):
        return case
    at = timezone.now()
    before = _label(case.owner) if case.owner else ""
    after = _label(owner) if owner else ""
    previous_owner_id = case.owner_id
    case.owner = owner  # type: ignore[assignment]
    case.last_activity_at = at
    case.queued_at = None if owner is not None else at
    case.save(update_fields=["owner", "queued_at", "last_activity_at", "updated_at"])
    AuditEntry.objects.create(
        case=case, actor=cast("User | None", actor), actor_label=_label(actor), field="owner",
        before=before, after=after, at=at,
    )  # fmt: skip
    Activity.objects.create(
        case=case,
        kind=ActivityKind.ASSIGNMENT,
        channel=ChannelKind.INTERNAL,
        author_agent=cast("User | None", actor),
        data={"from": before, "to": after, "to_id": owner.pk if owner else None},
        created_at=at,
    )
    publish(CaseUpdated(case_id=case.pk, fields=("owner",)))
    publish(
        CaseAssigned(
            case_id=case.pk,
            owner_id=owner.pk if owner else None,
            previous_owner_id=previous_owner_id,
        )
    )
    return case


@transaction.atomic
def change_priority(*, case: Case, priority: str, actor: AbstractBaseUser | None) -> Case:
    """Set a case's priority and audit it. `actor` None is Caseway itself (an SLA action)."""
    if actor is not None:
        require_agent(actor)
    if priority not in CasePriority.values:
        raise ValueError(f"unknown priority {priority!r}")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.priority == priority:
        return case
    AuditEntry.objects.create(
        case=case, actor=cast("User | None", actor), actor_label=_label(actor), field="priority",
        before=case.priority, after=priority, at=timezone.now(),
    )  # fmt: skip
    case.priority = priority
    case.save(update_fields=["priority", "updated_at"])
    publish(CaseUpdated(case_id=case.pk, fields=("priority",)))
    return case


@transaction.atomic
def move_case(*, case: Case, queue: Queue, actor: AbstractBaseUser | None) -> Case:
    """Put a case into another queue and audit it. `actor` None is Caseway itself."""
    if actor is not None:
        require_agent(actor)
    case = Case.objects.select_for_update(of=("self",)).select_related("queue").get(pk=case.pk)
    if case.queue_id == queue.pk:
        return case
    AuditEntry.objects.create(
        case=case, actor=cast("User | None", actor), actor_label=_label(actor), field="queue",
        before=case.queue.name, after=queue.name, at=timezone.now(),
    )  # fmt: skip
    case.queue = queue
    fields = ["queue", "updated_at"]
    if case.owner_id is None:
        case.queued_at = timezone.now()
        fields.append("queued_at")
    case.save(update_fields=fields)
    publish(CaseUpdated(case_id=case.pk, fields=("queue",)))
    return case


def record_delivery(
    *,
    activity_id: int,
    status: str,
    provider_id: str = "",
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Store what the channel's provider said about an outbound message (`data` is merged
    into the activity's data)."""
    activity = Activity.objects.get(pk=activity_id)
    activity.delivery_status = status
    if provider_id:
        activity.provider_id = provider_id[:300]
    if data:
        activity.data = {**activity.data, **data}
    if detail:
        activity.data = {**activity.data, "delivery_detail": detail}
    activity.save(update_fields=["delivery_status", "provider_id", "data"])


@transaction.atomic
def log_time(
    *, case: Case, agent: AbstractBaseUser, minutes: int, note: str = "", at: datetime | None = None
) -> Activity:
    """Record time an agent spent on a case (it counts against hour-based entitlements)."""
    require_agent(agent)
    if minutes <= 0 or minutes > 24 * 60:
        raise ValueError("minutes must be between 1 and 1440")
    at = at or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    activity = Activity.objects.create(
        case=case,
        kind=ActivityKind.TIME_LOGGED,
        channel=ChannelKind.INTERNAL,
        author_agent=cast("User", agent),
        text=note.strip(),
        data={"minutes": minutes},
        created_at=at,
    )
    case.time_spent_minutes += minutes
    case.last_activity_at = at
    case.save(update_fields=["time_spent_minutes", "last_activity_at", "updated_at"])
    publish(ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind=activity.kind))
    publish(CaseUpdated(case_id=case.pk, fields=("time_spent_minutes",)))
    return activity


def add_system_event(
    *,
    case: Case,
    text: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    kind: str = ActivityKind.SLA,
) -> Activity:
    """Put an internal entry by Caseway itself on the timeline: an SLA warning or breach
    (kind SLA), or a note (kind NOTE: an automatic reply that came in, a delivery failure).
    Agents see it; the customer does not."""
    activity = Activity.objects.create(
        case=case,
        kind=kind,
        channel=ChannelKind.INTERNAL,
        text=text,
        data=data or {},
        created_at=at or timezone.now(),
    )
    publish(ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind=activity.kind))
    return activity


def notify_users(
    *, recipients: Iterable[AbstractBaseUser], case: Case, text: str, at: datetime | None = None
) -> list[Notification]:
    """Tell agents something about a case: in the workspace now, by email after commit.

    Each recipient is told once, however often they appear in `recipients`.
    """
    from caseway.cases.tasks import email_notification

    at = at or timezone.now()
    seen: set[int] = set()
    notifications = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        notifications.append(
            Notification(recipient=cast("User", user), case=case, text=text[:300], created_at=at)
        )
    Notification.objects.bulk_create(notifications)
    for notification in notifications:
        publish(
            NotificationSent(
                notification_id=notification.pk, recipient_id=notification.recipient_id
            )
        )
        pk = notification.pk
        transaction.on_commit(lambda pk=pk: email_notification.enqueue(pk))  # type: ignore[misc]
    return notifications


def mark_notifications_read(*, user: AbstractBaseUser, ids: Iterable[int] | None = None) -> int:
    """Mark a user's unread notifications (all, or those in `ids`) read; return how many."""
    unread = Notification.objects.filter(recipient=cast("User", user), read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
