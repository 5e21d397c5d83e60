"""Reactions of the cases app to its own events, after commit."""

from __future__ import annotations

import logging

from caseway.cases.events import CaseUpdated
from caseway.cases.models import Case, CaseStatus

logger = logging.getLogger(__name__)


def on_case_updated(event: CaseUpdated) -> None:
    """A resolved case joins "similar resolved cases" (embedded by the task queue)."""
    if "status" not in event.fields:
        return
    status = Case.objects.filter(pk=event.case_id).values_list("status", flat=True).first()
    if status == CaseStatus.RESOLVED:
        from caseway.cases.tasks import index_resolved_case

        index_resolved_case.enqueue(event.case_id)
