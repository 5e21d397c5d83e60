"""Reactions of the sla app to what happens on cases, after commit."""

from __future__ import annotations

from caseway.cases.events import CaseUpdated
from caseway.sla.services import sync_case_sla

# A case's timers depend on these fields only.
SLA_FIELDS = frozenset({"status", "last_reply_at", "first_response_at", "resolved_at"})


def on_case_updated(event: CaseUpdated) -> None:
    """Keep the case's SLA timers in step with its status and replies."""
    if SLA_FIELDS.intersection(event.fields):
        sync_case_sla(case_id=event.case_id)
