"""Phone calls on the timeline (status, duration, recordings; calls logged by hand) and
delivery reports of replies sent in several parts (SMS).

A call arrives through intake as a PHONE_CALL activity whose provider id is the call's sid;
the provider's later callbacks find it by (channel, provider id) and update its data under
a row lock, so callbacks that race or repeat leave one consistent state.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from caseway.cases.events import ActivityAdded
from caseway.cases.exceptions import CaseError
from caseway.cases.models import Activity, ActivityKind, Case, DeliveryStatus
from caseway.cases.services import require_agent
from caseway.core.events import publish
from caseway.core.kinds import ChannelKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CALL_DIRECTIONS = ("inbound", "outbound")
MAX_CALL_SECONDS = 24 * 3600


class CallNotFound(CaseError):
    """No phone-call activity has this call sid."""


def _locked_call(call_sid: str) -> Activity:
    activity = (
        Activity.objects.select_for_update()
        .filter(channel=ChannelKind.VOICE, provider_id=call_sid, kind=ActivityKind.PHONE_CALL)
        .order_by("pk")
        .first()
    )
    if activity is None:
        raise CallNotFound(call_sid)
    return activity


@transaction.atomic
def update_call(
    *, call_sid: str, status: str = "", duration: int | None = None, **data: Any
) -> Activity:
    """Record a call's status and duration (and any other facts given) on its activity.

    A status is never moved back from an ended one to one before it (callbacks may arrive
    out of order)."""
    activity = _locked_call(call_sid)
    values = dict(activity.data)
    ended = {"completed", "busy", "failed", "no-answer", "canceled"}
    if status and not (values.get("status") in ended and status not in ended):
        values["status"] = status
    if duration is not None:
        values["duration"] = max(0, min(duration, MAX_CALL_SECONDS))
    values.update({k: v for k, v in data.items() if v is not None})
    if values != activity.data:
        activity.data = values
        activity.save(update_fields=["data"])
    return activity


@transaction.atomic
def add_call_recording(
    *, call_sid: str, recording_sid: str, url: str, duration: int | None, is_voicemail: bool
) -> Activity:
    """Add a recording (or voicemail) link to a call; the same recording twice is kept once."""
    activity = _locked_call(call_sid)
    recordings = [r for r in activity.data.get("recordings", []) if r.get("sid") != recording_sid]
    recordings.append({"sid": recording_sid, "url": url, "duration": duration})
    activity.data = {**activity.data, "recordings": recordings}
    if is_voicemail:
        activity.data["voicemail"] = True
    activity.save(update_fields=["data"])
    return activity


@transaction.atomic
def log_call(
    *,
    case: Case,
    agent: AbstractBaseUser,
    direction: str,
    duration_seconds: int,
    note: str = "",
    number: str = "",
    at: datetime | None = None,
) -> Activity:
    """An agent records a call by hand (one made or taken outside Caseway), with a note."""
    require_agent(agent)
    if direction not in CALL_DIRECTIONS:
        raise ValueError(f"unknown call direction {direction!r}")
    if not 0 <= duration_seconds <= MAX_CALL_SECONDS:
        raise ValueError("a call lasts between 0 seconds and a day")
    at = at or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    activity = Activity.objects.create(
        case=case,
        kind=ActivityKind.PHONE_CALL,
        channel=ChannelKind.VOICE,
        author_agent=cast("User", agent),
        text=note.strip(),
        data={
            "direction": direction,
            "duration": duration_seconds,
            "status": "completed",
            "number": number.strip()[:32],
            "logged_by_hand": True,
        },
        created_at=at,
    )
    case.last_activity_at = at
    case.save(update_fields=["last_activity_at", "updated_at"])
    publish(ActivityAdded(case_id=case.pk, activity_id=activity.pk, kind=activity.kind))
    return activity


# How far a delivery status has come; failed is final.
_RANK: dict[str, int] = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
}


@transaction.atomic
def record_part_delivery(
    *, activity_id: int, part_id: str, status: str, detail: str = ""
) -> Activity | None:
    """A delivery report for one part of a reply (one SMS of several, by its provider id).

    The reply is delivered when every part is, failed as soon as one part fails, sent
    otherwise. Reports that repeat or arrive late never move a part backwards. None when
    the activity is not a reply or the part is not one of its own."""
    activity = (
        Activity.objects.select_for_update()
        .filter(pk=activity_id, kind=ActivityKind.MESSAGE_OUT)
        .first()
    )
    if activity is None:
        return None
    parts = [dict(p) for p in activity.data.get("sms_parts", [])]
    part = next((p for p in parts if p.get("sid") == part_id), None)
    if part is None:
        return None
    current = part.get("delivery", DeliveryStatus.SENT)
    if current != DeliveryStatus.FAILED and (
        status == DeliveryStatus.FAILED or _RANK.get(status, 0) > _RANK.get(current, 0)
    ):
        part["delivery"] = status
    states = [p.get("delivery", DeliveryStatus.SENT) for p in parts]
    if DeliveryStatus.FAILED in states:
        overall = DeliveryStatus.FAILED
    elif all(s == DeliveryStatus.DELIVERED for s in states):
        overall = DeliveryStatus.DELIVERED
    else:
        overall = DeliveryStatus.SENT
    data = {**activity.data, "sms_parts": parts}
    if detail and status == DeliveryStatus.FAILED:
        data["delivery_detail"] = detail
    activity.data = data
    activity.delivery_status = overall
    activity.save(update_fields=["data", "delivery_status"])
    return activity
