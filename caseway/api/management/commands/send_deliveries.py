"""`caseway send_deliveries`: send the webhook and push deliveries whose retry is due.

The worker retries by itself (each failure enqueues the next attempt for its time); this
catches up after the worker was down, or with a task backend that cannot defer.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from caseway.api.outbound import SWEEP_BATCH, retry_due_deliveries


class Command(BaseCommand):
    help = "Send the webhook and push deliveries whose retry is due."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while tried := retry_due_deliveries():
            total += tried
            if tried < SWEEP_BATCH:
                break
        self.stdout.write(f"{total} deliveries tried")
