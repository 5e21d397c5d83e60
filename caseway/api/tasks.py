"""Background tasks of the api app: take ids, call one service, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from caseway.api.models import OutboundDelivery, OutboundStatus
from caseway.api.outbound import deliver


@task()
def deliver_outbound(delivery_id: int) -> str:
    """POST one webhook or push delivery (a delivered or failed one is left alone); after a
    failure, enqueue the next attempt for its time. A backend that cannot defer (the
    immediate one) leaves retries to `caseway send_deliveries`."""
    status = deliver(delivery_id=delivery_id)
    if status == OutboundStatus.PENDING and deliver_outbound.get_backend().supports_defer:
        due = (
            OutboundDelivery.objects.filter(pk=delivery_id)
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if due is not None:
            deliver_outbound.using(run_after=due).enqueue(delivery_id)
    return status
