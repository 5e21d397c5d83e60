"""Every write of live chat from the visitor's side: start a chat, say a line (the bot
answers until a person takes over), ask for a person, send a file, read, end.

Invariants: a line is stored once per (session, client_id), whatever the retries; after the
handoff every visitor line becomes a message on the session's case through intake.receive()
(channel chat, the visitor's email identity, continuing the case), right after it is stored
and shown, by the task queued with it (livechat.tasks); a session's state only
moves forward to ended.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from caseway.assist import services as assist
from caseway.assist.exceptions import AssistError
from caseway.cases.models import Activity, Attachment
from caseway.connectors.messages import AttachmentIn, InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.core.limits import attachment_refusal
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import receive
from caseway.livechat.exceptions import BadPrechat, ChatEnded, LineRefused
from caseway.livechat.lines import add_system_line, lock_lines
from caseway.livechat.models import ChatLine, ChatSession, ChatState, LineRole
from caseway.livechat.pushes import cue_agent, cue_lines
from caseway.livechat.screenshare import end_open_shares

NAME_MAX = 200
LINE_MAX = 4_000
CLIENT_ID_MAX = 64


def clean_client_id(client_id: str) -> str:
    return client_id.strip()[:CLIENT_ID_MAX]


def start_session(*, name: str, email: str, question: str, origin: str = "") -> ChatSession:
    """Open a chat from the pre-chat form; the bot answers the question at once."""
    name, email, question = name.strip()[:NAME_MAX], email.strip(), question.strip()
    if not name:
        raise BadPrechat(gettext("Please tell us your name."))
    try:
        validate_email(email)
    except ValidationError:
        raise BadPrechat(gettext("Please enter a valid email address.")) from None
    if not question:
        raise BadPrechat(gettext("Please type your question."))
    with transaction.atomic():
        conversation = assist.start_conversation(channel=ChannelKind.CHAT)
        session = ChatSession.objects.create(
            token=secrets.token_urlsafe(24),
            name=name,
            email=email,
            origin=origin[:200],
            conversation=conversation,
        )
    post_visitor_line(session=session, text=question, client_id="prechat")
    return session


def _existing(session: ChatSession, client_id: str) -> ChatLine | None:
    if not client_id:
        return None
    return ChatLine.objects.filter(session=session, client_id=client_id).first()


def checked_text(text: str) -> str:
    """A line's text as stored, or LineRefused (empty, too long)."""
    text = text.strip()
    if not text:
        raise LineRefused(gettext("The message is empty."))
    if len(text) > LINE_MAX:
        raise LineRefused(gettext("Messages are limited to %(n)s characters.") % {"n": LINE_MAX})
    return text


def _store_line(*, session: ChatSession, client_id: str, **fields: Any) -> ChatLine:
    """Create a line; a concurrent duplicate of its client id answers with the stored one."""
    try:
        with transaction.atomic():
            lock_lines(session.pk)
            return ChatLine.objects.create(session=session, client_id=client_id, **fields)
    except IntegrityError:
        return ChatLine.objects.get(session=session, client_id=client_id)


def post_visitor_line(*, session: ChatSession, text: str, client_id: str) -> ChatLine:
    """Store what the visitor said, once per client id, and act on it: the bot answers it
    while the chat is with the bot; otherwise it becomes a message on the chat's case."""
    client_id = clean_client_id(client_id)
    if (line := _existing(session, client_id)) is not None:
        return line
    session.refresh_from_db(fields=["state", "case"])
    if session.state == ChatState.ENDED:
        raise ChatEnded()
    text = checked_text(text)
    if session.state == ChatState.BOT:
        return _ask_bot(session=session, text=text, client_id=client_id)
    # Stored and shown first; the case's timeline follows in the background (tasks).
    return _store_visitor_line(session=session, text=text, client_id=client_id, activity=None)


def _store_visitor_line(
    *,
    session: ChatSession,
    text: str,
    client_id: str,
    activity: Activity | None,
    attachment: Attachment | None = None,
) -> ChatLine:
    """Keep what the visitor said (once per client id) and tell the session's connections.
    A line without its `activity` yet goes on the case in the background."""
    from caseway.livechat.tasks import record_line_on_case

    with transaction.atomic():
        line = _store_line(
            session=session,
            role=LineRole.VISITOR,
            text=text,
            client_id=client_id,
            activity=activity,
            attachment=attachment,
        )
        cue_lines(session.group)
        if line.activity_id is None:
            # In the line's transaction: the task is stored (task database) with the line,
            # or neither is.
            record_line_on_case.enqueue(line.pk)
    return line


def _ask_bot(*, session: ChatSession, text: str, client_id: str) -> ChatLine:
    try:
        answer = assist.ask(
            question=text, conversation=session.conversation, channel=ChannelKind.CHAT
        )
    except AssistError as exc:
        raise LineRefused(str(exc) or gettext("The bot could not read that.")) from exc
    with transaction.atomic():
        line = _store_line(session=session, role=LineRole.VISITOR, text=text, client_id=client_id)
        bot_text = answer.answer
        if answer.handoff:
            bot_text += " " + gettext("Choose “Talk to a person” and someone will take over.")
        ChatLine.objects.create(
            session=session,
            role=LineRole.BOT,
            text=bot_text,
            url=answer.url,
            client_id=f"bot:{line.pk}",
        )
        cue_lines(session.group)
    return line


def _sender(session: ChatSession) -> Sender:
    return Sender(kind=AddressKind.EMAIL, address=session.email, name=session.name)


def receive_on_case(
    *,
    session: ChatSession,
    text: str,
    client_id: str,
    attachments: tuple[AttachmentIn, ...] = (),
) -> Activity | None:
    """One visitor line through the one intake path, continuing the session's case. Its
    provider id is the session's and the line's client id: sent again, it is a replay."""
    assert session.case is not None
    message = InboundMessage(
        channel=ChannelKind.CHAT,
        provider_id=f"chat:{session.token}:{client_id or secrets.token_hex(8)}",
        sender=_sender(session),
        subject=session.case.subject,
        text=text,
        attachments=attachments,
        case_reference=session.case.number,
        continues_conversation=True,
        meta={"activity_data": {"chat_session": session.pk}},
    )
    try:
        result = receive(message)
    except MessageRejected as exc:
        raise LineRefused(str(exc)) from exc
    if result.case.pk != session.case.pk:
        # The case closed for good (cancelled) and intake opened a new one: follow it.
        ChatSession.objects.filter(pk=session.pk).update(case=result.case)
        session.case = result.case
    return result.activity


def request_person(*, session: ChatSession) -> ChatSession:
    """Hand the chat from the bot to a person: a case with the bot transcript through intake
    (assist.handoff), placed and offered by routing. Nobody free (or outside hours): the
    visitor leaves a message on the case instead. Idempotent."""
    if session.state == ChatState.ENDED:
        raise ChatEnded()
    if session.state != ChatState.BOT:
        return session
    try:
        case = assist.handoff(
            conversation=session.conversation, name=session.name, email=session.email
        )
    except AssistError as exc:
        raise LineRefused(str(exc)) from exc
    # Routing's assignment ran after intake committed: an owner now means an offer is out.
    case.refresh_from_db(fields=["owner"])
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        if locked.state != ChatState.BOT:
            return locked
        locked.case = case
        if case.owner_id is not None:
            locked.state = ChatState.WAITING
            # Routing offered the case before it was this chat's: tell the agent now.
            cue_agent(case.owner_id, "chat.offered", locked.pk)
            text = gettext("Connecting you with a person (case %(number)s)…")
        else:
            locked.state = ChatState.MESSAGE
            text = gettext(
                "Nobody is available right now. Leave your message here: it is kept on case "
                "%(number)s and we answer you by email, or here if you are still with us."
            )
        locked.save(update_fields=["case", "state"])
        add_system_line(session=locked, text=text % {"number": case.number})
    return locked


def send_file(
    *, session: ChatSession, filename: str, content_type: str, content: bytes, client_id: str
) -> ChatLine:
    """A file from the visitor, within the attachment limits, as a message on the case."""
    client_id = clean_client_id(client_id)
    if (line := _existing(session, client_id)) is not None:
        return line
    session.refresh_from_db(fields=["state", "case"])
    if session.state == ChatState.ENDED:
        raise ChatEnded()
    if session.case is None:
        raise LineRefused(gettext("Files can be sent once a person is with you."))
    refusal = attachment_refusal(filename=filename, content_type=content_type, size=len(content))
    if refusal:
        raise LineRefused(refusal)
    text = gettext("Sent a file: %(name)s") % {"name": filename}
    activity = receive_on_case(
        session=session,
        text=text,
        client_id=client_id,
        attachments=(AttachmentIn(filename=filename, content_type=content_type, content=content),),
    )
    attachment = activity.attachments.first() if activity is not None else None
    return _store_visitor_line(
        session=session, text=text, client_id=client_id, activity=activity, attachment=attachment
    )


def mark_read(*, session: ChatSession, role: str, line_id: int) -> int:
    """The newest line `role` (visitor or agent) has read; it never moves back."""
    field = "visitor_read_id" if role == LineRole.VISITOR else "agent_read_id"
    ChatSession.objects.filter(pk=session.pk, **{f"{field}__lt": line_id}).update(
        **{field: line_id}
    )
    return line_id


def end_session(*, session: ChatSession, by: str, role: str = LineRole.VISITOR) -> ChatSession:
    """End the chat, and a screen share still open in it (`by`: who, as the line says it;
    `role`: their side). Idempotent."""
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        if locked.state == ChatState.ENDED:
            return locked
        end_open_shares(session=locked, by=role)
        locked.state = ChatState.ENDED
        locked.ended_at = timezone.now()
        locked.save(update_fields=["state", "ended_at"])
        add_system_line(session=locked, text=gettext("%(who)s ended the chat.") % {"who": by})
    return locked


def max_upload_bytes() -> int:
    return int(settings.CASEWAY_ATTACHMENT_MAX_BYTES)
