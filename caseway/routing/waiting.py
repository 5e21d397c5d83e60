"""Assigning the waiting cases of many queues: the routing sweep and the follow-ups when
agents free up. Queues by priority, each oldest waiting first, in batches of one queue's
cases (assignment.assign_batch); on PostgreSQL several queues at once in threads.
"""

from __future__ import annotations

import threading
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from caseway.cases.models import OPEN_STATUSES, Case, Queue
from caseway.routing import assignment
from caseway.routing.assignment import BATCH
from caseway.routing.models import QueueRouting
from caseway.routing.presence import restore_all_auto_busy


def assign_waiting_cases(
    *, queue_ids: list[int] | None = None, limit: int = 200, now: datetime | None = None
) -> int:
    """Try to assign up to `limit` waiting cases, queues by priority (highest first), each
    oldest waiting first, in batches of one queue's cases; return how many were assigned.

    Cases another process is assigning are skipped; a queue whose members are all away,
    off hours or full is left at its first case nobody can take. Without `queue_ids` (the
    sweep) agents whose daily capacity came back are made available first.
    """
    now = now or timezone.now()
    if queue_ids is None:
        restore_all_auto_busy(now=now)
        queue_ids = list(Queue.objects.values_list("pk", flat=True))
    priorities = dict(
        QueueRouting.objects.filter(queue_id__in=queue_ids).values_list("queue_id", "priority")
    )
    levels: dict[int, list[int]] = {}
    for queue_id in queue_ids:
        levels.setdefault(priorities.get(queue_id, 0), []).append(queue_id)
    assigned = 0
    remaining = limit
    for level in sorted(levels, reverse=True):
        if remaining <= 0:
            break
        waiting = list(
            Case.objects.filter(
                queue_id__in=levels[level],
                owner__isnull=True,
                queued_at__isnull=False,
                status__in=OPEN_STATUSES,
            )
            .order_by("queued_at", "pk")
            .values_list("pk", "queue_id")[:remaining]
        )
        remaining -= len(waiting)
        by_queue: dict[int, list[int]] = {}  # oldest waiting case's queue first
        for case_id, queue_id in waiting:
            by_queue.setdefault(queue_id, []).append(case_id)
        assigned += _assign_queues(list(by_queue.items()), now)
    return assigned


def _assign_queue(queue_id: int, case_ids: list[int], now: datetime) -> int:
    """One queue's waiting cases, batch after batch, until its pool runs out."""
    assigned = 0
    for start in range(0, len(case_ids), BATCH):
        batch = assignment.assign_batch(
            case_ids[start : start + BATCH], now, queue_id=queue_id, skip_locked=True
        )
        assigned += len(batch.offers)
        if batch.queue_exhausted:
            break
    return assigned


def sweep_threads() -> int:
    """How many queues one sweep assigns at once: several only on PostgreSQL, and never
    inside a transaction (other threads would not see its writes)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, int(settings.CASEWAY_ROUTING_SWEEP_THREADS))


def _assign_queues(jobs: list[tuple[int, list[int]]], now: datetime) -> int:
    """Assign the queues' cases, in threads when sweep_threads() allows: while one thread
    waits for PostgreSQL another plans its batch. Each thread has its own connection and
    closes it when the queues run out. Batches of queues that share agents wait for each
    other on the pool's row locks, taken in one order everywhere, so they cannot deadlock."""
    threads = min(sweep_threads(), len(jobs))
    if threads <= 1:
        return sum(_assign_queue(queue_id, case_ids, now) for queue_id, case_ids in jobs)
    pending = iter(jobs)
    lock = threading.Lock()
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while True:
                with lock:
                    job = next(pending, None)
                if job is None:
                    return
                results.append(_assign_queue(job[0], job[1], now))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, name=f"routing-sweep-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return sum(results)
