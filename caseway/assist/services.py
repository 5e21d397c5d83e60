"""Every write of assist: start a conversation, ask the bot, say whether an answer helped,
hand the conversation off to a person (a case opened through intake, transcript included)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from caseway.assist.answering import answer_question
from caseway.assist.exceptions import (
    EmptyQuestion,
    HandoffRefused,
    NotABotAnswer,
    QuestionTooLong,
)
from caseway.assist.models import Conversation, ConversationOutcome, Turn, TurnRole
from caseway.cases.models import Case
from caseway.connectors.messages import InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.customers.models import Contact, normalize_address
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import receive
from caseway.knowledge.feedback import record_feedback as record_article_feedback
from caseway.knowledge.feedback import record_search
from caseway.knowledge.signals_models import Source

QUESTION_MAX = 1_000
SUBJECT_CHARS = 120


@dataclass(frozen=True)
class Answer:
    """The bot's reply as the API and the portal show it (see answering.Reply)."""

    answer: str
    article_id: int | None
    confidence: float
    handoff: bool
    url: str
    title: str
    conversation: str  # the conversation's token
    turn_id: int


def start_conversation(
    *, contact: Contact | None = None, channel: str = ChannelKind.PORTAL
) -> Conversation:
    return Conversation.objects.create(
        token=secrets.token_urlsafe(24), contact=contact, channel=channel
    )


def ask(
    *,
    question: str,
    conversation: Conversation | None = None,
    contact: Contact | None = None,
    channel: str = ChannelKind.PORTAL,
) -> Answer:
    """Answer `question` and record both turns; a new conversation when none is given.

    The search runs before the transaction: it only reads, and the write stays short.
    """
    text = question.strip()
    if not text:
        raise EmptyQuestion()
    if len(text) > QUESTION_MAX:
        raise QuestionTooLong(QUESTION_MAX)
    reply = answer_question(text)
    with transaction.atomic():
        if conversation is None:
            conversation = start_conversation(contact=contact, channel=channel)
        Turn.objects.create(conversation=conversation, role=TurnRole.CUSTOMER, text=text)
        turn = Turn.objects.create(
            conversation=conversation,
            role=TurnRole.BOT,
            text=reply.answer,
            article_id=reply.article_id,
            url=reply.url,
            confidence=reply.confidence,
            is_handoff_offered=reply.handoff,
        )
        record_search(query=text, source=Source.BOT, hits=list(reply.found))
        outcome = ConversationOutcome.UNANSWERED if reply.handoff else ConversationOutcome.ANSWERED
        Conversation.objects.filter(pk=conversation.pk).exclude(
            outcome=ConversationOutcome.HANDED_OFF
        ).update(outcome=outcome)
    return Answer(
        answer=reply.answer,
        article_id=reply.article_id,
        confidence=reply.confidence,
        handoff=reply.handoff,
        url=reply.url,
        title=reply.title,
        conversation=conversation.token,
        turn_id=turn.pk,
    )


@transaction.atomic
def record_feedback(*, conversation: Conversation, turn_id: int, is_helpful: bool) -> Turn:
    """The customer's verdict on one of the bot's answers (a later verdict replaces it). The
    first verdict also counts as a helpful vote on the article, like one on its page."""
    turn = (
        Turn.objects.select_for_update()
        .filter(
            pk=turn_id,
            conversation=conversation,
            role=TurnRole.BOT,
            is_handoff_offered=False,
        )
        .first()
    )
    if turn is None:
        raise NotABotAnswer(turn_id)
    if turn.is_helpful is None and turn.article is not None:
        contact = conversation.contact
        record_article_feedback(
            article=turn.article,
            helpful=is_helpful,
            visitor=f"bot:{conversation.pk}",
            user=contact.user if contact is not None else None,
        )
    turn.is_helpful = is_helpful
    turn.save(update_fields=["is_helpful"])
    outcome = ConversationOutcome.HELPED if is_helpful else ConversationOutcome.NOT_HELPED
    Conversation.objects.filter(pk=conversation.pk).exclude(
        outcome=ConversationOutcome.HANDED_OFF
    ).update(outcome=outcome)
    return turn


def handoff(*, conversation: Conversation, name: str, email: str, phone: str = "") -> Case:
    """Open a case for a person to take over, carrying the whole transcript, through the one
    intake path; the case is recorded on the conversation. The visitor is reached by email,
    or by phone when they gave only a number (the kiosk asks for either).

    Idempotent: the message's provider id is the conversation's, so a second handoff (a
    double click, a retry) is a replay that intake answers with the same case. Intake runs
    outside our transaction so that a refused message keeps its failure record.
    """
    if conversation.handed_off_case_id is not None:
        return Case.objects.get(pk=conversation.handed_off_case_id)
    address, kind = email.strip(), AddressKind.EMAIL
    if not address and phone.strip():
        address, kind = normalize_address(AddressKind.PHONE, phone), AddressKind.PHONE
    if not address:
        raise HandoffRefused(gettext("An email address is needed to reach you."))
    message = InboundMessage(
        channel=conversation.channel,
        provider_id=f"assist:{conversation.token}",
        sender=Sender(kind=kind, address=address, name=name.strip()),
        subject=handoff_subject(conversation),
        text=transcript(conversation),
        meta={"activity_data": {"bot_conversation": conversation.pk}},
    )
    try:
        result = receive(message)
    except MessageRejected as exc:
        raise HandoffRefused(str(exc)) from exc
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        locked.handed_off_case = result.case
        locked.outcome = ConversationOutcome.HANDED_OFF
        fields = ["handed_off_case", "outcome"]
        if locked.contact_id is None:
            locked.contact_id = result.case.contact_id
            fields.append("contact")
        locked.save(update_fields=fields)
    conversation.handed_off_case = result.case
    conversation.outcome = locked.outcome
    conversation.contact_id = locked.contact_id
    return result.case


def handoff_subject(conversation: Conversation) -> str:
    first = (
        Turn.objects.filter(conversation=conversation, role=TurnRole.CUSTOMER)
        .order_by("pk")
        .values_list("text", flat=True)
        .first()
    )
    question = " ".join((first or "").split())
    if len(question) > SUBJECT_CHARS:
        question = question[: SUBJECT_CHARS - 1].rstrip() + "…"
    return gettext("Help bot: %(question)s") % {"question": question or gettext("a question")}


def transcript(conversation: Conversation) -> str:
    """The conversation as plain text for the case timeline, oldest line first. Past the
    message size intake accepts, the earliest lines give way to the latest."""
    started = timezone.localtime(conversation.started_at).strftime("%Y-%m-%d %H:%M %Z")
    header = gettext("Conversation with the help bot, started %(started)s.") % {"started": started}
    lines = []
    for turn in Turn.objects.filter(conversation=conversation).order_by("pk"):
        if turn.role == TurnRole.CUSTOMER:
            lines.append(gettext("Customer: %(text)s") % {"text": turn.text})
            continue
        line = gettext("Bot: %(text)s") % {"text": turn.text}
        if turn.url:
            line += f" [{turn.url}]"
        if turn.is_helpful is not None:
            verdict = gettext("helpful") if turn.is_helpful else gettext("not helpful")
            line += " " + gettext("(customer said: %(verdict)s)") % {"verdict": verdict}
        lines.append(line)
    budget = settings.CASEWAY_MESSAGE_MAX_CHARS - len(header) - 100
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        if used + len(line) + 2 > budget:
            kept.append(gettext("(earlier lines left out)"))
            break
        kept.append(line)
        used += len(line) + 2
    return header + "\n\n" + "\n\n".join(reversed(kept))
