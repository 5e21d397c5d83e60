"""Every write of live chat from the agent's side: accept or decline an offered chat, say a
line (stored and shown first, then a reply on the case through intake.send on the chat
channel: livechat.tasks), transfer, end.

An agent may act on a chat only while they own its case (routing offered it to them, or it
was transferred to them); accepting turns routing's offer into the chat.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from caseway.cases import services as case_services
from caseway.cases.models import Case, Queue
from caseway.livechat.exceptions import ChatEnded, LineRefused, NotYourChat
from caseway.livechat.lines import add_system_line
from caseway.livechat.models import ChatLine, ChatSession, ChatState, LineRole
from caseway.livechat.pushes import cue_agent, cue_lines
from caseway.livechat.services import (
    _existing,
    _store_line,
    checked_text,
    clean_client_id,
    end_session,
)
from caseway.livechat.tasks import record_line_on_case
from caseway.routing.models import Offer, OfferStatus
from caseway.routing.offers import accept_offer, decline_offer
from caseway.routing.presence import display_name


def _held(session: ChatSession, agent: AbstractBaseUser) -> Case:
    session.refresh_from_db(fields=["state", "case", "agent"])
    if session.state == ChatState.ENDED:
        raise ChatEnded()
    case = session.case
    if case is None or case.owner_id != agent.pk:
        raise NotYourChat(session.pk)
    return case


def _open_offer(case: Case, agent: AbstractBaseUser) -> Offer | None:
    return (
        Offer.objects.filter(case=case, agent_id=agent.pk, status=OfferStatus.OFFERED)
        .order_by("-pk")
        .first()
    )


def accept_chat(*, session: ChatSession, agent: AbstractBaseUser) -> ChatSession:
    """Take the chat: routing's offer is accepted (a chat transferred to the agent has none)
    and the visitor is told who joined."""
    case = _held(session, agent)
    with transaction.atomic():
        offer = _open_offer(case, agent)
        if offer is not None:
            accept_offer(offer=offer, agent=agent)
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        if locked.agent_id == agent.pk and locked.state == ChatState.ACTIVE:
            return locked
        locked.agent = agent  # type: ignore[assignment]
        locked.state = ChatState.ACTIVE
        locked.save(update_fields=["agent", "state"])
        add_system_line(
            session=locked,
            text=gettext("%(name)s joined the chat.") % {"name": display_name(agent)},
        )
        cue_agent(agent.pk, "chat.offered", locked.pk)
    return locked


def decline_chat(*, session: ChatSession, agent: AbstractBaseUser) -> None:
    """Give the offered chat back: routing offers it to the next candidate."""
    case = _held(session, agent)
    offer = _open_offer(case, agent)
    if offer is None:
        raise NotYourChat(session.pk)
    decline_offer(offer=offer, agent=agent)


def post_agent_line(
    *, session: ChatSession, agent: AbstractBaseUser, text: str, client_id: str
) -> ChatLine:
    """Say a line to the visitor: a reply on the case through intake.send on the chat
    channel, which the chat adapter pushes to the visitor once delivered."""
    client_id = clean_client_id(client_id)
    if (line := _existing(session, client_id)) is not None:
        return line
    _held(session, agent)
    if session.agent_id != agent.pk:
        raise NotYourChat(session.pk)
    text = checked_text(text)
    with transaction.atomic():
        line = _store_line(
            session=session, role=LineRole.AGENT, author=agent, text=text, client_id=client_id
        )
        # Every connection of the session reads it at commit, the visitor's too; the reply
        # goes on the case's timeline (intake.send on the chat channel, as delivered: the
        # visitor has it) in the background.
        cue_lines(session.group)
        if line.activity_id is None:
            # In the line's transaction: the task is stored (task database) with the line,
            # or neither is.
            record_line_on_case.enqueue(line.pk)
    return line


def transfer_chat(
    *,
    session: ChatSession,
    agent: AbstractBaseUser,
    queue: Queue | None = None,
    to_agent: AbstractBaseUser | None = None,
) -> ChatSession:
    """Hand the chat to another agent (they own it and accept it) or to a queue (routing
    offers it to one of its members)."""
    case = _held(session, agent)
    if (queue is None) == (to_agent is None):
        raise LineRefused(gettext("Choose a queue or an agent."))
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        locked.agent = None
        locked.state = ChatState.WAITING
        locked.save(update_fields=["agent", "state"])
        if to_agent is not None:
            case_services.assign_case(case=case, owner=to_agent, actor=agent)
            target = display_name(to_agent)
        else:
            assert queue is not None
            case = case_services.move_case(case=case, queue=queue, actor=agent)
            case_services.assign_case(case=case, owner=None, actor=agent)
            target = queue.name
        add_system_line(
            session=locked,
            text=gettext("%(name)s is passing you to %(target)s; please wait a moment.")
            % {"name": display_name(agent), "target": target},
        )
        cue_agent(agent.pk, "chat.removed", locked.pk)
    return locked


def end_chat(*, session: ChatSession, agent: AbstractBaseUser) -> ChatSession:
    """End the chat from the console and note it on the case's timeline."""
    case = _held(session, agent)
    with transaction.atomic():
        ended = end_session(session=session, by=display_name(agent), role=LineRole.AGENT)
        lines = ChatLine.objects.filter(session=session).exclude(role=LineRole.SYSTEM).count()
        case_services.add_note(
            case=case,
            agent=agent,
            text=gettext("Live chat with %(name)s ended by %(agent)s after %(n)s lines.")
            % {"name": session.name, "agent": display_name(agent), "n": lines},
        )
        cue_lines(session.group)
    return ended
