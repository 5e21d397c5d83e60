"""The SLA page: cases nearing or past their SLA in the agent's queues, most urgent first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from caseway.sla.models import SlaStatus
from caseway.sla.queries import AT_RISK_WITHIN, timers_at_risk_visible_to
from caseway.workspace.access import agent_required
from caseway.workspace.views.shell import shell_context


@agent_required
@require_GET
def at_risk(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = timers_at_risk_visible_to(request.user, now=now)
    clocks = [row.clock for row in rows]
    context = {
        "rows": rows,
        "breached_count": sum(clock.is_breached for clock in clocks),
        "nearing_count": sum(clock.state == SlaStatus.NEARING for clock in clocks),
        "soon_count": sum(clock.state == SlaStatus.IN_PROGRESS for clock in clocks),
        "paused_count": sum(clock.is_paused for clock in clocks),
        "within_minutes": int(AT_RISK_WITHIN.total_seconds() // 60),
    }
    context.update(shell_context(request, active_view="sla"))
    return render(request, "workspace/sla.html", context)
