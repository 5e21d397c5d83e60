"""Narrow and order a list of cases the caller may already see (visibility is not done here)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F, Q

from caseway.api.schemas import CaseFilters
from caseway.cases.models import Case, CaseQuerySet


def filter_cases(
    cases: CaseQuerySet, filters: CaseFilters, *, user: AbstractBaseUser
) -> CaseQuerySet:
    """Apply the list filters to `cases` (from cases_visible_to) and order by last activity."""
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.channel:
        cases = cases.filter(origin_channel=filters.channel)
    if filters.queue:
        cases = cases.filter(queue__slug=filters.queue)
    if filters.owner == "me":
        cases = cases.filter(owner_id=user.pk)
    elif filters.owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif filters.owner:
        cases = cases.filter(owner__username=filters.owner)
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        match = Q(subject__icontains=text)
        pk = Case.pk_from_number(text)
        if pk is not None:
            match |= Q(pk=pk)
        cases = cases.filter(match)
    return cases.order_by(F("last_activity_at").desc(nulls_last=True), "-pk")
