"""The bot for anyone: ask a question, say whether an answer helped, ask for a person.

No sign-in needed (visitors, kiosks, the mobile app before sign-in); a bearer token, when
sent, ties the conversation to the customer and lets the handoff write as them. The browser
session is not used here: these endpoints take no CSRF token. A conversation is found again
by the token the first answer returns. Per-address rate limits keep one caller from running
the search in a loop.
"""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.throttling import AnonRateThrottle
from pydantic import AfterValidator, StringConstraints

from caseway.api.auth import token_auth
from caseway.api.schemas import ErrorOut, InputSchema, ValidationErrorOut
from caseway.assist.exceptions import ConversationNotFound, HandoffRefused, NotABotAnswer
from caseway.assist.models import Conversation
from caseway.assist.queries import contact_address, get_conversation
from caseway.assist.services import QUESTION_MAX, ask, handoff, record_feedback
from caseway.cases.queries import contact_of
from caseway.core.kinds import ChannelKind
from caseway.customers.models import Contact

router = Router(tags=["assist (bot)"])


class AssistThrottle(AnonRateThrottle):
    """Per client address, counted apart from other endpoints' limits."""

    scope = "assist"


ASK_RATE = "60/m"
HANDOFF_RATE = "10/m"


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("enter a valid email address") from exc
    return value


Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=QUESTION_MAX)]  # fmt: skip
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class AskIn(InputSchema):
    question: Question = Field(description="The customer's question, in their own words")
    conversation: Token | None = Field(None, description="The token of an earlier answer, to "
                                       "continue its conversation")  # fmt: skip


class AskOut(Schema):
    answer: str = Field(description="A passage copied from the article, or, with handoff, "
                        "the bot saying it does not know")  # fmt: skip
    article_id: int | None
    confidence: float = Field(description="0 to 1: how sure the bot is of the article")
    handoff: bool = Field(description="True when the bot does not know: offer a person")
    url: str | None = Field(description="The article's page, when there is one")
    title: str | None
    conversation: str = Field(description="Send it back to continue this conversation")
    turn: int = Field(description="This answer, for feedback")


class FeedbackIn(InputSchema):
    conversation: Token
    turn: int
    helpful: bool


class FeedbackOut(Schema):
    turn: int
    helpful: bool


class HandoffIn(InputSchema):
    conversation: Token
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
    ] = Field("", description="Where a person answers; not needed with a customer's token")


class HandoffOut(Schema):
    case: str = Field(description="The number of the case a person will answer")
    conversation: str


def _caller(request: HttpRequest) -> Contact | None:
    """The customer of a bearer token, if one is sent (a wrong token is a 401)."""
    principal = token_auth(request)
    return contact_of(principal.user) if principal is not None else None


def _conversation(token: str) -> Conversation:
    try:
        return get_conversation(token=token)
    except ConversationNotFound as exc:
        raise HttpError(404, _("No such conversation.")) from exc


@router.post(
    "/ask",
    auth=None,
    throttle=[AssistThrottle(ASK_RATE)],
    response={
        200: AskOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    },
    summary="Ask the bot",
)
def ask_bot(request: HttpRequest, payload: AskIn) -> AskOut:
    """The best passage of the best public article and its link, or, below the measured
    confidence threshold, "I don't know" with `handoff` true."""
    contact = _caller(request)
    conversation = _conversation(payload.conversation) if payload.conversation else None
    answer = ask(
        question=payload.question,
        conversation=conversation,
        contact=contact,
        channel=ChannelKind.API,
    )
    return AskOut(
        answer=answer.answer,
        article_id=answer.article_id,
        confidence=answer.confidence,
        handoff=answer.handoff,
        url=request.build_absolute_uri(answer.url) if answer.url else None,
        title=answer.title or None,
        conversation=answer.conversation,
        turn=answer.turn_id,
    )


@router.post(
    "/feedback",
    auth=None,
    throttle=[AssistThrottle(ASK_RATE)],
    response={
        200: FeedbackOut,
        400: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    },
    summary="Say whether an answer helped",
)
def give_feedback(request: HttpRequest, payload: FeedbackIn) -> FeedbackOut:
    conversation = _conversation(payload.conversation)
    try:
        turn = record_feedback(
            conversation=conversation, turn_id=payload.turn, is_helpful=payload.helpful
        )
    except NotABotAnswer as exc:
        raise HttpError(404, _("This conversation has no such answer.")) from exc
    return FeedbackOut(turn=turn.pk, helpful=bool(turn.is_helpful))


@router.post(
    "/handoff",
    auth=None,
    throttle=[AssistThrottle(HANDOFF_RATE)],
    response={
        201: HandoffOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut | ErrorOut,
        429: ErrorOut,
    },
    summary="Hand the conversation to a person",
)
def hand_off(request: HttpRequest, payload: HandoffIn) -> Status[HandoffOut]:
    """Open a case carrying the whole conversation (once: asking again returns that case)."""
    contact = _caller(request)
    conversation = _conversation(payload.conversation)
    name, email = payload.name, payload.email
    if contact is not None:
        name, email = contact.name or name, contact_address(contact=contact) or email
    if not email and not conversation.is_handed_off:
        raise HttpError(422, _("An email address is needed to reach you."))
    try:
        case = handoff(conversation=conversation, name=name, email=email)
    except HandoffRefused as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, HandoffOut(case=case.number, conversation=conversation.token))
