"""Reactions of the api app to case events, after commit: case updates go out to the
customer's webhooks and, for an agent's reply, to the push gateway."""

from __future__ import annotations

from caseway.api.outbound import queue_case_event
from caseway.cases.events import ActivityAdded
from caseway.cases.models import PUBLIC_ACTIVITY_KINDS


def on_activity_added(event: ActivityAdded) -> None:
    """Write the deliveries of a public message, then hand each to the task queue."""
    if event.kind not in PUBLIC_ACTIVITY_KINDS:
        return
    from caseway.api.tasks import deliver_outbound

    queued = queue_case_event(activity_id=event.activity_id, case_id=event.case_id, kind=event.kind)
    for delivery_id in queued:
        deliver_outbound.enqueue(delivery_id)
