"""The agent's presence: the top bar's switcher posts here; only ever for oneself."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caseway.routing.models import Presence
from caseway.routing.presence import set_presence
from caseway.workspace.access import agent_of, agent_required, is_htmx
from caseway.workspace.views.shell import shell_context


@agent_required
@require_POST
def change_presence(request: HttpRequest) -> HttpResponse:
    """Set the signed-in agent's presence; htmx gets the switcher back (and the sidebar,
    whose counts change when going offline gives cases back)."""
    value = request.POST.get("presence", "")
    agent = agent_of(request)
    if value not in Presence.values:
        messages.error(request, _("Choose one of the presences in the list."))
        status = 422
    else:
        profile = set_presence(agent=agent, presence=value, actor=agent)
        status = 200
        if value == Presence.AVAILABLE and profile.presence == Presence.BUSY:
            messages.info(
                request, _("You are at full capacity: busy until you have room for more.")
            )
        elif value == Presence.OFFLINE:
            messages.info(request, _("You are offline. Your open cases went back to their queues."))
    if is_htmx(request):
        return render(
            request, "workspace/_presence_update.html", shell_context(request), status=status
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return redirect(target or "workspace:home")
