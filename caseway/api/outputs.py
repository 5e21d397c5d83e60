"""Turn cases, activities, SLA summaries and queues into response schemas. No queries of their
own: callers pass objects read through caseway.cases.queries and caseway.sla.queries with what
they need joined."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser

from caseway.api.schemas import (
    ActivityOut,
    AttachmentOut,
    AuthorOut,
    CaseDetailOut,
    CaseOut,
    CaseSlaOut,
    EntitlementRef,
    QueueOut,
    QueueRef,
    SlaTimerOut,
    UserRef,
)
from caseway.cases.models import (
    Activity,
    ActivityKind,
    Case,
    CasePriority,
    CaseStatus,
    DeliveryStatus,
    Queue,
)
from caseway.core.kinds import ChannelKind
from caseway.sla.models import EntitlementTerm, SlaKpi, SlaStatus
from caseway.sla.queries import SlaSummary


def user_ref(user: AbstractBaseUser | None, *, for_agent: bool) -> UserRef | None:
    """An agent by name; their username (a login) only for other agents."""
    if user is None:
        return None
    full_name: str = getattr(user, "get_full_name", lambda: "")()
    return UserRef(
        username=user.get_username() if for_agent else None,
        name=full_name or user.get_username(),
    )


def case_out(case: Case, *, for_agent: bool) -> CaseOut:
    return CaseOut(
        number=case.number,
        subject=case.subject,
        status=CaseStatus(case.status),
        priority=CasePriority(case.priority),
        origin_channel=ChannelKind(case.origin_channel),
        queue=QueueRef(slug=case.queue.slug, name=case.queue.name),
        owner=user_ref(case.owner, for_agent=for_agent),
        contact_name=str(case.contact),
        created_at=case.created_at,
        updated_at=case.updated_at,
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        last_activity_at=case.last_activity_at,
    )


def case_detail_out(
    case: Case,
    timeline: Iterable[Activity],
    *,
    for_agent: bool,
    sla: SlaSummary | None = None,
) -> CaseDetailOut:
    """The case with its timeline; its SLA for agents only, whatever the caller passes."""
    return CaseDetailOut.model_validate(
        {
            **dict(case_out(case, for_agent=for_agent)),
            "sla": sla_out(sla) if for_agent and sla is not None else None,
            "timeline": [activity_out(activity, for_agent=for_agent) for activity in timeline],
        }
    )


def sla_out(summary: SlaSummary) -> CaseSlaOut:
    """A case's SLA as agents see it: policy, contract and every clock as of the summary."""
    usage = summary.entitlement
    entitlement = None
    if usage is not None:
        entitlement = EntitlementRef(
            name=usage.name,
            term=EntitlementTerm(usage.term),
            remaining=float(usage.remaining) if usage.is_limited else None,
        )
    return CaseSlaOut(
        policy=summary.policy_name,
        entitlement=entitlement,
        timers=[
            SlaTimerOut(
                kpi=SlaKpi(clock.kpi),
                status=SlaStatus(clock.state),
                started_at=clock.started_at,
                warn_at=clock.warn_at,
                due_at=clock.due_at,
                completed_at=clock.completed_at,
                paused_seconds=round(clock.paused_seconds, 3),
            )
            for clock in summary.clocks
        ],
    )


def activity_out(activity: Activity, *, for_agent: bool) -> ActivityOut:
    """One timeline entry. `data` (headers, routing details) is for agents only."""
    if activity.author_agent_id:
        author = AuthorOut(kind="agent", name=activity.author_label)
    elif activity.author_contact_id:
        author = AuthorOut(kind="contact", name=activity.author_label)
    else:
        author = AuthorOut(kind="system", name=activity.author_label)
    return ActivityOut(
        id=activity.pk,
        kind=ActivityKind(activity.kind),
        channel=ChannelKind(activity.channel),
        is_public=activity.is_public,
        author=author,
        subject=activity.subject,
        text=activity.text,
        html=activity.html,
        delivery_status=DeliveryStatus(activity.delivery_status),
        data=activity.data if for_agent else {},
        created_at=activity.created_at,
        attachments=[
            AttachmentOut(
                id=attachment.pk,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
            )
            for attachment in activity.attachments.all()
        ],
    )


def queue_out(queue: Queue) -> QueueOut:
    """A queue annotated by queues_visible_to with open_count and unassigned_count."""
    return QueueOut(
        slug=queue.slug,
        name=queue.name,
        description=queue.description,
        is_default=queue.is_default,
        open_count=getattr(queue, "open_count", 0),
        unassigned_count=getattr(queue, "unassigned_count", 0),
    )
