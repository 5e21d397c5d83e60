"""Spread the demo's timestamps over the last days, for a demo that looks lived in.

The services stamp what they write with the current time, so every demo case would be a
few milliseconds old. This is the one documented exception to "every write goes through a
service": after the stories are told, each case's own timestamps (case, timeline, audit
trail, inbound records, routing decisions and offers, SLA timers) are moved, in order, onto a
plausible schedule that starts at a random moment of the last `days` days. Relative order
within a case never changes.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from caseway.cases.models import Activity, ActivityKind, AuditEntry, Case
from caseway.intake.models import InboundRecord
from caseway.routing.models import Offer, RoutingDecision
from caseway.sla import timers
from caseway.sla.escalation import fire_timer
from caseway.sla.models import SlaInstance, SlaStatus
from caseway.sla.policies import load_policy

Remap = Callable[[datetime], datetime]


def spread_dates(*, case_ids: Iterable[int], rng: random.Random, days: int = 30) -> None:
    """Move the timestamps of these cases onto schedules spread over the last `days` days."""
    now = timezone.now()
    ids = sorted(set(case_ids))
    activities: dict[int, list[Activity]] = defaultdict(list)
    for activity in Activity.objects.filter(case_id__in=ids).order_by("created_at", "pk"):
        activities[activity.case_id].append(activity)
    remaps = {pk: _schedule(activities[pk], rng=rng, now=now, days=days) for pk in ids}

    for pk, entries in activities.items():
        for activity in entries:
            activity.created_at = remaps[pk](activity.created_at)
    Activity.objects.bulk_update(
        [a for entries in activities.values() for a in entries], ["created_at"], batch_size=500
    )

    cases = list(Case.objects.filter(pk__in=ids))
    stamp_fields = [
        "created_at", "updated_at", "first_response_at", "resolved_at",
        "last_customer_message_at", "last_activity_at", "last_reply_at", "status_changed_at",
        "queued_at",
    ]  # fmt: skip
    for case in cases:
        for name in stamp_fields:
            value = getattr(case, name)
            if value is not None:
                setattr(case, name, remaps[case.pk](value))
    Case.objects.bulk_update(cases, stamp_fields, batch_size=500)

    audit_entries = list(AuditEntry.objects.filter(case_id__in=ids))
    for entry in audit_entries:
        entry.at = remaps[entry.case_id](entry.at)
    AuditEntry.objects.bulk_update(audit_entries, ["at"], batch_size=500)

    # An inbound record became the customer's message with the same (channel, provider id).
    case_of = {
        (a.channel, a.provider_id): a.case_id
        for entries in activities.values()
        for a in entries
        if a.kind == ActivityKind.MESSAGE_IN and a.provider_id
    }
    records = list(InboundRecord.objects.filter(provider_id__in=[key[1] for key in case_of]))
    for record in records:
        case_id = case_of.get((record.channel, record.provider_id))
        if case_id is not None:
            record.received_at = remaps[case_id](record.received_at)
    InboundRecord.objects.bulk_update(records, ["received_at"], batch_size=500)
    decisions = list(RoutingDecision.objects.filter(case_id__in=ids))
    for decision in decisions:
        decision.created_at = remaps[decision.case_id](decision.created_at)
    RoutingDecision.objects.bulk_update(decisions, ["created_at"], batch_size=500)
    offers = list(Offer.objects.filter(case_id__in=ids))
    for offer in offers:
        offer.offered_at = remaps[offer.case_id](offer.offered_at)
        if offer.answered_at is not None:
            offer.answered_at = remaps[offer.case_id](offer.answered_at)
    Offer.objects.bulk_update(offers, ["offered_at", "answered_at"], batch_size=500)
    _reschedule_timers(ids, remaps, now=now)


def _reschedule_timers(ids: list[int], remaps: dict[int, Remap], *, now: datetime) -> None:
    """Move SLA timers with their cases, then let the moments that fell due in the demo's
    past fire as the worker would have fired them then: warnings, breaches and their actions
    (notifications, raised priorities, escalations) stamped at their own times."""
    moved = list(SlaInstance.objects.filter(case_id__in=ids).select_related("policy"))
    for timer in moved:
        remap = remaps[timer.case_id]
        timer.started_at = remap(timer.started_at)
        timer.paused_seconds = 0.0
        if timer.paused_since is not None:
            timer.paused_since = max(remap(timer.paused_since), timer.started_at)
        if timer.completed_at is not None:
            timer.completed_at = max(remap(timer.completed_at), timer.started_at)
        timer.warned_at = timer.breached_at = None
        timers.schedule(timer, load_policy(timer.policy).calendar)
        if timer.completed_at is not None:
            if timer.status != SlaStatus.CANCELLED:
                on_time = timer.completed_at <= timer.due_at
                timer.status = SlaStatus.SUCCEEDED if on_time else SlaStatus.BREACHED
            timer.next_action_at = None
        elif timer.paused_since is not None:
            timer.next_action_at = None
    SlaInstance.objects.bulk_update(
        moved,
        ["started_at", "paused_since", "paused_seconds", "completed_at", "warned_at",
         "breached_at", "warn_at", "due_at", "next_action_at", "status"],
        batch_size=500,
    )  # fmt: skip
    for timer in moved:
        moment = timer.next_action_at
        while moment is not None and moment <= now:
            fire_timer(timer_id=timer.pk, now=moment)
            after = (
                SlaInstance.objects.filter(pk=timer.pk).values_list("next_action_at", flat=True)
            ).first()
            moment = after if after != moment else None


def _schedule(activities: list[Activity], *, rng: random.Random, now: datetime, days: int) -> Remap:
    """A monotonic map from the real (milliseconds apart) times of one case's timeline to a
    schedule with human gaps: minutes to triage, hours to answer, days for the customer; only
    seconds before routing (no agent) assigns the case."""
    olds = sorted({a.created_at for a in activities})
    if not olds:
        return lambda moment: moment
    by_routing = {
        a.created_at
        for a in activities
        if a.kind == ActivityKind.ASSIGNMENT and a.author_agent_id is None
    }
    gaps = [
        timedelta(seconds=rng.uniform(1, 20))
        if old in by_routing
        else timedelta(minutes=rng.expovariate(1 / 240) + 2)
        for old in olds[1:]
    ]
    start = now - timedelta(days=rng.uniform(0, days), minutes=5)
    span = sum(gaps, timedelta())
    room = now - timedelta(minutes=1) - start
    if span > room:
        gaps = [gap * (room / span) for gap in gaps]
    news = [start]
    for gap in gaps:
        news.append(news[-1] + gap)

    def remap(moment: datetime) -> datetime:
        index = bisect.bisect_right(olds, moment) - 1
        return news[max(index, 0)]

    return remap
