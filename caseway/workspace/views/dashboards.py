"""The queue dashboard, the supervisor's view of their agents, and the top bar's load meter."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from caseway.routing.models import Presence
from caseway.routing.presence import set_presence
from caseway.workspace.access import agent_of, agent_required
from caseway.workspace.dashboards import may_supervise, my_load, queue_rows, team_rows
from caseway.workspace.views.shell import shell_context


@agent_required
@require_GET
def queues(request: HttpRequest) -> HttpResponse:
    """Each queue the agent sees: waiting, longest wait, open, agents present of members."""
    context = {"rows": queue_rows(agent_of(request))}
    context.update(shell_context(request, active_view="queues"))
    return render(request, "workspace/queues.html", context)


@agent_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    """The agents of the queues the user supervises, with presence and load."""
    context = {"rows": team_rows(agent_of(request))}
    context.update(shell_context(request, active_view="team"))
    return render(request, "workspace/team.html", context)


@agent_required
@require_POST
def team_presence(request: HttpRequest, agent_id: int) -> HttpResponse:
    """Set an agent's presence as their supervisor (offline hands their cases back)."""
    supervisor = agent_of(request)
    if not may_supervise(supervisor, agent_id):
        return render(request, "workspace/forbidden.html", status=403)
    agent = get_object_or_404(get_user_model(), pk=agent_id)
    value = request.POST.get("presence", "")
    if value not in Presence.values:
        messages.error(request, _("Choose one of the presences in the list."))
        return redirect("workspace:team")
    set_presence(agent=agent, presence=value, actor=supervisor)
    name = agent.get_full_name() or agent.get_username()
    if value == Presence.OFFLINE:
        messages.info(
            request,
            _("%(name)s is offline; their open cases went back to their queues.") % {"name": name},
        )
    else:
        messages.success(request, _("Presence of %(name)s changed.") % {"name": name})
    return redirect("workspace:team")


@agent_required
@require_GET
@never_cache
def load(request: HttpRequest) -> HttpResponse:
    """The top bar's meter of the agent's load against their capacity."""
    return render(request, "workspace/_load.html", {"meters": my_load(agent_of(request))})
