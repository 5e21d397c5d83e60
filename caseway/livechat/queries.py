"""Reads of live chat: lines after a cursor as the widget and the console show them, the
chats an agent holds, the canned responses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse

from caseway.livechat.models import CannedResponse, ChatLine, ChatSession, ChatState
from caseway.routing.models import Offer, OfferStatus
from caseway.routing.presence import display_name

LINES_PER_READ = 500


def session_by_token(token: str) -> ChatSession | None:
    if not token:
        return None
    return ChatSession.objects.select_related("case").filter(token=token).first()


def lines_after(session_id: int, cursor: int, *, for_agent: bool = False) -> list[dict[str, Any]]:
    """The session's lines with an id above `cursor`, oldest first, as JSON-able dicts."""
    lines = (
        ChatLine.objects.filter(session_id=session_id, pk__gt=cursor)
        .select_related("author", "attachment", "session__case")
        .order_by("pk")[:LINES_PER_READ]
    )
    out = []
    for line in lines:
        item = line_payload(line, author=display_name(line.author) if line.author else "")
        if line.attachment is not None:
            item["file"] = line.attachment.filename
            case = line.session.case
            if for_agent and case is not None:
                item["file_url"] = reverse(
                    "workspace:attachment", args=[case.number, line.attachment.pk]
                )
        out.append(item)
    return out


def line_payload(line: ChatLine, *, author: str) -> dict[str, Any]:
    """A line as the widget and the console get it (`author`: the agent's name, if any)."""
    return {
        "type": "line",
        "session": line.session_id,
        "id": line.pk,
        "role": line.role,
        "text": line.text,
        "url": line.url,
        "client_id": line.client_id,
        "author": author,
        "at": line.created_at.isoformat(),
    }


def session_summary(session: ChatSession, agent: AbstractBaseUser) -> dict[str, Any]:
    """What the console shows of a chat in its header."""
    case = session.case
    is_offer = (
        case is not None
        and session.agent_id != agent.pk
        and Offer.objects.filter(case=case, agent_id=agent.pk, status=OfferStatus.OFFERED).exists()
    )
    return {
        "type": "chat",
        "session": session.pk,
        "name": session.name,
        "email": session.email,
        "state": session.state,
        "case": case.number if case else "",
        "subject": case.subject if case else "",
        "case_url": reverse("workspace:case", args=[case.number]) if case else "",
        "context_url": reverse("workspace:chat_context", args=[session.pk]),
        "is_offer": is_offer,
        "is_mine": session.agent_id == agent.pk,
        "visitor_read_id": session.visitor_read_id,
    }


def chats_of(agent: AbstractBaseUser) -> list[ChatSession]:
    """Chats whose case the agent owns (offered, transferred or accepted), not ended."""
    return list(
        ChatSession.objects.filter(case__owner_id=agent.pk)
        .exclude(state=ChatState.ENDED)
        .select_related("case")
        .order_by("started_at")
    )


def held_session(session_id: int, agent: AbstractBaseUser) -> ChatSession | None:
    """The chat if the agent owns its case (the console may act on it), else None."""
    return (
        ChatSession.objects.select_related("case", "conversation")
        .filter(pk=session_id, case__owner_id=agent.pk)
        .first()
    )


def canned_responses() -> list[CannedResponse]:
    return list(CannedResponse.objects.filter(is_active=True))
