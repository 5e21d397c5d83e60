"""The chat console: several live chats side by side over the agent's websocket, canned
responses, and beside each chat the customer's other cases and the case's SLA."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from caseway.cases.models import Queue
from caseway.livechat.queries import canned_responses, held_session
from caseway.workspace.access import agent_of, agent_required
from caseway.workspace.views.case_view import case_context
from caseway.workspace.views.shell import shell_context


@agent_required
def console(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    context = shell_context(request)
    context.update(
        {
            "active_view": "chat",
            "canned": canned_responses(),
            "queues": Queue.objects.order_by("name"),
            "agents": get_user_model()
            .objects.filter(is_active=True, is_staff=True)
            .exclude(pk=agent.pk)
            .order_by("first_name", "username"),
        }
    )
    return render(request, "workspace/chat_console.html", context)


@agent_required
def chat_context(request: HttpRequest, session_id: int) -> HttpResponse:
    """The customer beside the chat: the case view's customer and SLA parts."""
    session = held_session(session_id, agent_of(request))
    if session is None or session.case is None:
        raise Http404
    context = case_context(request, session.case)
    return render(request, "workspace/_chat_context.html", context)
