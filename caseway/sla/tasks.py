"""Background work of the sla app: the periodic sweep the worker runs."""

from __future__ import annotations

from django.utils import timezone

from caseway.sla.escalation import fire_due_sla_actions


def sweep_sla() -> int:
    """Fire the SLA warnings and breaches that are due (the worker runs this every
    SLA_SWEEP_SECONDS; safe to run in several workers at once)."""
    return fire_due_sla_actions(now=timezone.now())
