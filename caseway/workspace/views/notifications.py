"""The agent's notifications: the bell's menu, the full list, and "mark all read"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from caseway.cases import services as case_services
from caseway.cases.queries import notifications_for
from caseway.cases.queries import unread_notification_count as unread_count
from caseway.workspace.access import agent_of, agent_required, is_htmx
from caseway.workspace.views.shell import shell_context

RECENT_IN_MENU = 8
RECENT_ON_PAGE = 50


@agent_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    context = {"notifications": list(notifications_for(request.user)[:RECENT_ON_PAGE])}
    context.update(shell_context(request, active_view="notifications"))
    context["unread_count"] = context["nav_unread"]
    return render(request, "workspace/notifications.html", context)


@agent_required
@require_GET
def notification_menu(request: HttpRequest) -> HttpResponse:
    """The bell's dropdown (loaded by htmx when it opens)."""
    context = {
        "notifications": list(notifications_for(request.user)[:RECENT_IN_MENU]),
        "unread_count": unread_count(request.user),
    }
    return render(request, "workspace/_notifications_menu.html", context)


@agent_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    case_services.mark_notifications_read(user=agent_of(request))
    if is_htmx(request):
        return render(request, "workspace/_bell.html", {"nav_unread": 0})
    return redirect("workspace:notifications")
