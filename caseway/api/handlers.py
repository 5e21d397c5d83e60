"""What the api app runs in every worker: the dispatcher of case updates to webhooks and
the push gateway (registered with caseway.core.periodic by ApiConfig.ready)."""

from __future__ import annotations

from caseway.api.outbound import DISPATCH_BATCH, dispatch_case_events

# At most this many batches a run, so one run of a worker never takes over its thread.
MAX_BATCHES = 20


def send_case_events() -> int:
    """Dispatch what the timeline gained since the last run and hand every new delivery to
    the task queue (after the dispatcher's commit); return how many were handed on."""
    from caseway.api.tasks import deliver_outbound

    sent = 0
    for _ in range(MAX_BATCHES):
        delivery_ids, seen = dispatch_case_events()
        for delivery_id in delivery_ids:
            deliver_outbound.enqueue(delivery_id)
        sent += len(delivery_ids)
        if seen < DISPATCH_BATCH:
            break
    return sent
