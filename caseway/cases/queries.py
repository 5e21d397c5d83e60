"""Reads with visibility rules. Every view, endpoint and consumer reads cases through here.

- a customer (a user with a contact) sees their own cases; an account admin sees the account's;
- an agent (an active staff user) sees the cases in queues they belong to and those they own;
- an admin (superuser) sees everything;
- anyone else sees nothing.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import router
from django.db.models import Count, Q, QuerySet

from caseway.cases.models import (
    OPEN_STATUSES,
    PUBLIC_ACTIVITY_KINDS,
    Activity,
    ActivityKind,
    Case,
    CaseQuerySet,
    Notification,
    Queue,
)
from caseway.core import sql
from caseway.customers.models import Contact, ContactMerge, MergeSuggestion, SuggestionStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

AnyUser = AbstractBaseUser | AnonymousUser


def is_agent(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_staff", False))


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_superuser", False))


def contact_of(user: AnyUser) -> Contact | None:
    """The contact a customer's login belongs to; for a merged contact, the one it was merged
    into (its cases moved there), so a portal login keeps seeing its person's cases."""
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        contact = cast("User", user).contact
    except Contact.DoesNotExist:
        return None
    if contact.merged_into_id is not None:
        return Contact.objects.select_related("account").get(pk=contact.merged_into_id)
    return contact


def cases_visible_to(user: AnyUser) -> CaseQuerySet:
    """The cases `user` may see, with contact, account, queue and owner joined: an agent sees
    the queues they work in or supervise and the cases they own."""
    cases = Case.objects.select_related("contact", "account", "queue", "owner")
    if is_admin(user):
        return cases
    if is_agent(user):
        return cases.filter(Q(queue__in=_queues_of(user)) | Q(owner=user))
    contact = contact_of(user)
    if contact is None:
        return cases.none()
    if contact.is_account_admin and contact.account_id:
        return cases.filter(Q(account_id=contact.account_id) | Q(contact=contact))
    return cases.filter(contact=contact)


def _queues_of(user: AnyUser) -> QuerySet[Queue, int]:
    """The ids of the queues an agent works in or supervises (a subquery: no duplicate rows)."""
    agent = cast("User", user)
    return Queue.objects.filter(Q(members=agent) | Q(supervisors=agent)).values_list(
        "pk", flat=True
    )


def queue_ids_of(user: AnyUser) -> frozenset[int]:
    """The queues whose cases an agent sees: those they work in or supervise."""
    return frozenset(_queues_of(user).distinct())


def get_case_for_user(user: AnyUser, number: str) -> Case:
    """The case with this number if `user` may see it; raises Case.DoesNotExist otherwise."""
    return cases_visible_to(user).by_number(number).get()


def get_case_for_contact(*, case_id: int, contact_id: int) -> Case:
    """The case `case_id` if contact `contact_id` opened it; raises Case.DoesNotExist otherwise.

    Serves a private link (the portal's signed token for an anonymous submitter): whoever
    holds the link sees that one case, as its contact would.
    """
    return Case.objects.select_related("contact", "account", "queue", "owner").get(
        pk=case_id, contact_id=contact_id
    )


def timeline_for(user: AnyUser, case: Case) -> QuerySet[Activity]:
    """The case's activities `user` may see: everything for agents, messages for customers."""
    activities = (
        Activity.objects.filter(case=case)
        .select_related("author_agent", "author_contact")
        .prefetch_related("attachments")
    )
    if is_agent(user):
        return activities
    return activities.filter(kind__in=PUBLIC_ACTIVITY_KINDS, is_public=True)


def queues_visible_to(user: AnyUser) -> QuerySet[Queue]:
    """Queues `user` works in (all for admins), each with its count of open cases."""
    queues = Queue.objects.all()
    if not is_admin(user):
        if not is_agent(user):
            return queues.none()
        queues = queues.filter(pk__in=_queues_of(user))
    return queues.annotate(
        open_count=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES)),
        unassigned_count=Count(
            "cases", filter=Q(cases__status__in=OPEN_STATUSES, cases__owner__isnull=True)
        ),
    )


def queues_for_transfer(user: AnyUser) -> QuerySet[Queue]:
    """Queues an agent may move a case into: every queue (a transfer leaves the agent's own)."""
    return Queue.objects.all() if is_agent(user) else Queue.objects.none()


def agents_for_queue(queue: Queue) -> QuerySet[User]:
    """Active agents who may own cases in `queue`."""
    return queue.members.filter(is_active=True, is_staff=True).order_by("first_name", "username")


@cache
def _default_queue_sql(using: str) -> str:
    # At most one queue is the default (queue_single_default): no ORDER BY needed.
    return (
        f"SELECT {sql.columns(Queue, 'q', using)} FROM {sql.table(Queue, using)} q "  # noqa: S608
        "WHERE q.is_default LIMIT 1"
    )


def default_queue() -> Queue:
    """The queue new cases wait in; recreated if someone deleted it (one query when present).

    Read on every call, not cached: an admin may make another queue the default. The
    statement is precompiled because every new case runs it.
    """
    using = router.db_for_read(Queue)
    row = sql.fetch_one(_default_queue_sql(using), (), using)
    queue = sql.RowReader(row, using).load(Queue) if row is not None else None
    if queue is None:
        queue, _ = Queue.objects.get_or_create(
            is_default=True, defaults={"name": "General", "slug": "general"}
        )
    return queue


def notifications_for(user: AnyUser) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their cases joined: each sees their own."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).select_related("case")


def unread_notification_count(user: AnyUser) -> int:
    """How many of the user's notifications are unread (one query on a partial index)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


# The customer view: one person's cases and one timeline across them.

# What the customer timeline shows unless asked for everything: what was said, on any
# channel, and what agents wrote down.
CONVERSATION_KINDS = (
    ActivityKind.MESSAGE_IN,
    ActivityKind.MESSAGE_OUT,
    ActivityKind.PHONE_CALL,
    ActivityKind.NOTE,
)


def contacts_visible_to(user: AnyUser) -> QuerySet[Contact]:
    """Contacts an agent may look at: those with a case the agent may see (and contacts
    merged into them); every contact for an admin; none for anyone else."""
    if is_admin(user):
        return Contact.objects.all()
    if not is_agent(user):
        return Contact.objects.none()
    with_cases = cases_visible_to(user).values("contact_id")
    return Contact.objects.filter(Q(pk__in=with_cases) | Q(merged_into__in=with_cases))


def get_contact_for_user(user: AnyUser, contact_id: int) -> Contact:
    """The contact if `user` may see it, account loaded; raises Contact.DoesNotExist."""
    return contacts_visible_to(user).select_related("account", "merged_into").get(pk=contact_id)


def cases_of_contact(user: AnyUser, contact: Contact) -> CaseQuerySet:
    """The contact's cases `user` may see, newest first."""
    return cases_visible_to(user).filter(contact_id=contact.pk).order_by("-created_at", "-pk")


def customer_timeline(
    user: AnyUser,
    contact: Contact,
    *,
    before: tuple[datetime, int] | None = None,
    limit: int = 30,
    everything: bool = False,
) -> list[Activity]:
    """One page of the contact's history across the cases `user` may see, newest first:
    messages on every channel, calls and notes (`everything`: status changes, assignments,
    SLA events too). Keyset paging: `before` is the (created_at, id) of the last entry
    shown. One query, plus one for attachments."""
    activities = (
        Activity.objects.filter(case__in=cases_of_contact(user, contact).values("pk"))
        .select_related("case", "author_agent", "author_contact")
        .prefetch_related("attachments")
        .order_by("-created_at", "-pk")
    )
    if not everything:
        activities = activities.filter(kind__in=CONVERSATION_KINDS)
    if not is_agent(user):
        activities = activities.filter(kind__in=PUBLIC_ACTIVITY_KINDS, is_public=True)
    if before is not None:
        at, pk = before
        activities = activities.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    return list(activities[:limit])


def merge_suggestions_visible_to(user: AnyUser) -> QuerySet[MergeSuggestion]:
    """Open merge suggestions of two live contacts `user` may both see, newest first, with
    both contacts and their accounts joined."""
    suggestions = MergeSuggestion.objects.filter(
        status=SuggestionStatus.OPEN,
        contact__merged_into__isnull=True,
        other__merged_into__isnull=True,
    ).select_related("contact__account", "other__account")
    if is_admin(user):
        return suggestions
    if not is_agent(user):
        return suggestions.none()
    visible = contacts_visible_to(user).values("pk")
    return suggestions.filter(contact__in=visible, other__in=visible)


def merges_of_contact(contact: Contact) -> list[ContactMerge]:
    """Every merge the contact took part in, newest first, with what each moved."""
    return list(
        ContactMerge.objects.filter(Q(survivor=contact) | Q(merged=contact))
        .select_related("survivor", "merged")
        .prefetch_related("identities__identity", "cases__case")
    )
