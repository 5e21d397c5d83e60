"""The case list's reads: filters and sort on top of cases_visible_to(), and sidebar counts.

Everything starts from caseway.cases.queries, so the visibility rules are never re-implemented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Count, Max, Q, QuerySet, Value, When

from caseway.cases.models import OPEN_STATUSES, PRIORITY_ORDER, Case, CaseStatus, Queue
from caseway.cases.queries import AnyUser, cases_visible_to, queues_visible_to

PAGE_SIZE = 25


def filter_cases(cases: QuerySet[Case], filters: dict[str, str], *, user: Any) -> QuerySet[Case]:
    """Apply the list's filters (see CaseFilterForm.values) and its sort order."""
    status = filters.get("status", "open")
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status in CaseStatus.values:
        cases = cases.filter(status=status)
    if priority := filters.get("priority"):
        cases = cases.filter(priority=priority)
    if channel := filters.get("channel"):
        cases = cases.filter(origin_channel=channel)
    if queue := filters.get("queue"):
        cases = cases.filter(queue__slug=queue)
    owner = filters.get("owner", "any")
    if owner == "me":
        cases = cases.filter(owner=user)
    elif owner == "unassigned":
        cases = cases.filter(owner__isnull=True)
    if text := filters.get("q", "").strip():
        match = (
            Q(subject__icontains=text)
            | Q(contact__name__icontains=text)
            | Q(contact__email__icontains=text)
        )
        if (pk := Case.pk_from_number(text)) is not None:
            match |= Q(pk=pk)
        cases = cases.filter(match)
    return _sorted(cases, filters.get("sort", "activity"))


def _sorted(cases: QuerySet[Case], sort: str) -> QuerySet[Case]:
    if sort == "created":
        return cases.order_by("-created_at", "-pk")
    if sort == "priority":
        rank = models.Case(
            *(When(priority=value, then=Value(order)) for value, order in PRIORITY_ORDER.items()),
            default=Value(len(PRIORITY_ORDER)),
            output_field=models.IntegerField(),
        )
        return cases.alias(priority_rank=rank).order_by(
            "priority_rank", models.F("last_activity_at").desc(nulls_last=True), "-pk"
        )
    return cases.order_by(models.F("last_activity_at").desc(nulls_last=True), "-pk")


@dataclass(frozen=True)
class ViewCounts:
    mine: int
    unassigned: int
    open: int
    mine_changed_at: datetime | None = None

    @property
    def mine_version(self) -> str:
        """Changes whenever a case joins, leaves or changes in "My cases" (the poll's cue to
        refresh that list)."""
        changed = self.mine_changed_at.timestamp() if self.mine_changed_at else 0
        return f"{self.mine}-{changed:.6f}"


def view_counts(user: AnyUser) -> ViewCounts:
    """Open cases the agent owns, open unassigned ones and all open ones, in one query."""
    totals = (
        cases_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            mine=Count("pk", filter=Q(owner_id=user.pk)),
            unassigned=Count("pk", filter=Q(owner__isnull=True)),
            open=Count("pk"),
            mine_changed_at=Max("updated_at", filter=Q(owner_id=user.pk)),
        )
    )
    return ViewCounts(
        mine=totals["mine"],
        unassigned=totals["unassigned"],
        open=totals["open"],
        mine_changed_at=totals["mine_changed_at"],
    )


@dataclass(frozen=True)
class QueueCount:
    queue_id: int
    open: int
    unassigned: int


@dataclass(frozen=True)
class NavBadges:
    """The sidebar's numbers: the views' counts and each visible queue's."""

    counts: ViewCounts
    queues: dict[int, QueueCount]


def nav_badges(user: AnyUser) -> NavBadges:
    """Every number of the sidebar in one grouped query (what the poll refreshes).

    Grouping the cases the agent may see by queue gives each queue's counts (an agent sees
    every case of the queues they work in) and, summed, the views' counts.
    """
    rows = (
        cases_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("queue_id")
        .annotate(
            n_mine=Count("pk", filter=Q(owner_id=user.pk)),
            n_unassigned=Count("pk", filter=Q(owner__isnull=True)),
            n_open=Count("pk"),
            mine_changed_at=Max("updated_at", filter=Q(owner_id=user.pk)),
        )
    )
    queues = {}
    mine = unassigned = total = 0
    changed: datetime | None = None
    for row in rows:
        queues[row["queue_id"]] = QueueCount(
            queue_id=row["queue_id"], open=row["n_open"], unassigned=row["n_unassigned"]
        )
        mine += row["n_mine"]
        unassigned += row["n_unassigned"]
        total += row["n_open"]
        if row["mine_changed_at"] and (changed is None or row["mine_changed_at"] > changed):
            changed = row["mine_changed_at"]
    counts = ViewCounts(mine=mine, unassigned=unassigned, open=total, mine_changed_at=changed)
    return NavBadges(counts=counts, queues=queues)


def sidebar_queues(user: AnyUser) -> list[Queue]:
    """The agent's queues with `open_count` and `unassigned_count`, evaluated once."""
    return list(queues_visible_to(user).order_by("name"))


def active_view(filters: dict[str, str]) -> str:
    """Which sidebar entry the current filters correspond to ("" when none does)."""
    if any(filters.get(name) for name in ("q", "priority", "channel")):
        return ""
    if filters.get("status") != "open":
        return ""
    owner = filters.get("owner", "any")
    if queue := filters.get("queue"):
        return f"queue:{queue}" if owner == "any" else ""
    return {"me": "mine", "unassigned": "unassigned", "any": "open"}.get(owner, "")
