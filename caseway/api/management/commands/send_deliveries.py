"""`caseway send_deliveries`: dispatch new case updates and send the webhook and push
deliveries whose retry is due.

The worker does both by itself (the dispatcher every second, each failure enqueuing the next
attempt for its time); this catches up without a worker, or with a task backend that cannot
defer.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from caseway.api.handlers import send_case_events
from caseway.api.outbound import SWEEP_BATCH, retry_due_deliveries


class Command(BaseCommand):
    help = "Dispatch new case updates; send the webhook and push deliveries that are due."

    def handle(self, *args: Any, **options: Any) -> None:
        total = send_case_events()
        while tried := retry_due_deliveries():
            total += tried
            if tried < SWEEP_BATCH:
                break
        self.stdout.write(f"{total} deliveries tried")
