"""The portal bot's conversation goes on as a live chat ("Chat with a person now").

The bot page (`/help/ask/`) and the chat widget share one conversation model: a chat session
is made on the page's conversation, its turns become the first lines of the chat (so the
widget shows what was said), and the session is handed to a person at once through
`services.request_person`, which opens the case with the whole transcript through intake and
lets routing offer it to an agent with chat capacity (or keeps it as a message when nobody is
free). The page then gives the widget the session's token.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from caseway.assist.models import Conversation, Turn, TurnRole
from caseway.core.kinds import ChannelKind
from caseway.livechat.exceptions import BadPrechat, ChatEnded
from caseway.livechat.models import ChatLine, ChatSession, ChatState, LineRole
from caseway.livechat.services import NAME_MAX, request_person

_ROLES = {TurnRole.CUSTOMER: LineRole.VISITOR, TurnRole.BOT: LineRole.BOT}


def open_chat_for(conversation: Conversation) -> ChatSession | None:
    """The chat a bot conversation goes on in, while it has not ended."""
    return (
        ChatSession.objects.filter(conversation=conversation).exclude(state=ChatState.ENDED).first()
    )


def continue_in_chat(*, conversation: Conversation, name: str, email: str) -> ChatSession:
    """Carry the bot conversation into a live chat handed to a person. Idempotent: a second
    call (a double click) answers with the same session. A conversation already handed off
    as a case, or whose chat has ended, is refused."""
    name, email = name.strip()[:NAME_MAX], email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise BadPrechat(gettext("Please enter a valid email address.")) from None
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        session = ChatSession.objects.filter(conversation=locked).first()
        if session is None:
            if locked.handed_off_case_id is not None:
                raise BadPrechat(gettext("This conversation is already with a person."))
            # From here on the conversation is a chat: its case comes in on the chat channel,
            # so routing's chat rules and chat capacity apply.
            locked.channel = ChannelKind.CHAT
            locked.save(update_fields=["channel"])
            session = ChatSession.objects.create(
                token=secrets.token_urlsafe(24),
                name=name or email,
                email=email,
                conversation=locked,
            )
            ChatLine.objects.bulk_create(
                ChatLine(
                    session=session,
                    role=_ROLES[TurnRole(turn.role)],
                    text=turn.text,
                    url=turn.url,
                    client_id=f"turn:{turn.pk}",
                )
                for turn in Turn.objects.filter(conversation=locked).order_by("pk")
            )
    conversation.channel = ChannelKind.CHAT
    if session.state == ChatState.ENDED:
        raise ChatEnded()
    return request_person(session=session)
