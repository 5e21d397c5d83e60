"""What every full workspace page shows around its content: the sidebar, the top bar (bell,
presence switcher) and the poll that keeps them fresh."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from caseway.cases.models import Queue
from caseway.cases.queries import unread_notification_count as unread_count
from caseway.routing.explain import agent_bar
from caseway.workspace.access import agent_of
from caseway.workspace.listing import sidebar_queues, view_counts


def shell_context(
    request: HttpRequest, *, queues: list[Queue] | None = None, active_view: str = ""
) -> dict[str, Any]:
    """Sidebar queues and counts, the bell's unread count, the agent's presence and newest
    offer (four queries) and which entry is active."""
    return {
        "nav_queues": queues if queues is not None else sidebar_queues(request.user),
        "nav_counts": view_counts(request.user),
        "nav_unread": unread_count(request.user),
        "agent_bar": agent_bar(agent_of(request)),
        "active_view": active_view,
    }
