"""The kiosk: the portal on a shared touch screen in a shop or a lobby.

No sign-in and nothing personal on screen: a visitor asks in their own words, reads the bot's
answer and the help articles the one search finds, and, if that was not enough, leaves an
email address or a phone number and talks to a person (a case through intake.receive on the
kiosk channel). Everything the visitor did lives in their session, which ends when they are
done or after CASEWAY_KIOSK_IDLE_SECONDS without a touch: the page's timer clears the screen
and posts to `reset`, which deletes the session on the server; the session also expires by
itself, so a kiosk switched off mid-conversation forgets the visitor too.
"""

from __future__ import annotations

import contextlib
import re
from uuid import UUID, uuid4

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from caseway.assist.exceptions import ConversationNotFound, HandoffRefused, NotABotAnswer
from caseway.assist.models import Conversation, TurnRole
from caseway.assist.queries import get_conversation, turns_of
from caseway.assist.services import QUESTION_MAX, ask, handoff, record_feedback
from caseway.cases.models import Case
from caseway.connectors.messages import InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.customers.models import normalize_address
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import receive
from caseway.knowledge.feedback import record_view, visitor_of
from caseway.knowledge.models import Article
from caseway.knowledge.queries import published_articles
from caseway.knowledge.search import search
from caseway.knowledge.signals_models import Source

CONVERSATION_KEY = "kiosk_conversation"
CASE_KEY = "kiosk_case"
REACH_KEY = "kiosk_reach"
ARTICLES = 4
TOPICS = 6
# The thank-you screen clears itself sooner: the visitor has what they came for.
DONE_IDLE_SECONDS = 30
_PHONE_DIGITS = re.compile(r"\d")


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("What can we help you with?"),
        max_length=QUESTION_MAX,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Type your question, e.g. I forgot my password"),
                "autocomplete": "off",
                "enterkeyhint": "search",
            }
        ),
    )


class PersonForm(forms.Form):
    """How a person reaches the visitor: an email address or a phone number (one is enough)."""

    name = forms.CharField(
        label=_("Your name"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    email = forms.EmailField(
        label=_("Email"), max_length=254, required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )  # fmt: skip
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )  # fmt: skip
    text = forms.CharField(
        label=_("What do you need help with?"), max_length=QUESTION_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def __init__(self, *args: object, needs_text: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["text"].required = needs_text

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data.get("phone", "").strip()
        if phone and (
            not re.fullmatch(r"[\d\s()+.\-/]+", phone) or len(_PHONE_DIGITS.findall(phone)) < 6
        ):
            raise ValidationError(gettext("Please enter a phone number, e.g. +44 7700 900123."))
        return phone

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (
            not data.get("email")
            and not data.get("phone")
            and not self.has_error("email")
            and (not self.has_error("phone"))
        ):
            raise ValidationError(
                gettext("Please give us an email address or a phone number to answer you.")
            )
        return data


def _touch(request: HttpRequest) -> None:
    """The visitor is still here: keep their session for one idle period more (and a margin
    for the warning), never longer."""
    request.session.set_expiry(settings.CASEWAY_KIOSK_IDLE_SECONDS + 60)


def _render(request: HttpRequest, template: str, context: dict[str, object],
            idle: int | None = None) -> HttpResponse:  # fmt: skip
    seconds = settings.CASEWAY_KIOSK_IDLE_SECONDS if idle is None else idle
    return render(request, template, {**context, "idle_seconds": seconds})


def _conversation(request: HttpRequest) -> Conversation | None:
    token = request.session.get(CONVERSATION_KEY)
    if not isinstance(token, str) or not token:
        return None
    try:
        return get_conversation(token=token)
    except ConversationNotFound:
        request.session.pop(CONVERSATION_KEY, None)
        return None


def _home() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("portal:kiosk") + "#latest")


@never_cache
def kiosk_home(request: HttpRequest) -> HttpResponse:
    """The start screen, or the conversation so far. POST `action`: ask or feedback."""
    conversation = _conversation(request)
    form = QuestionForm()
    if request.method == "POST":
        _touch(request)
        action = request.POST.get("action", "ask")
        if action == "feedback" and conversation is not None:
            # A stale or forged turn id is ignored: the screen shows the conversation again.
            with contextlib.suppress(NotABotAnswer, ValueError):
                record_feedback(
                    conversation=conversation,
                    turn_id=int(request.POST.get("turn", "0") or 0),
                    is_helpful=request.POST.get("helpful") == "yes",
                )
            return _home()
        form = QuestionForm(request.POST)
        if form.is_valid():
            answer = ask(
                question=form.cleaned_data["question"],
                conversation=conversation,
                channel=ChannelKind.KIOSK,
            )
            request.session[CONVERSATION_KEY] = answer.conversation
            return _home()
    turns = list(turns_of(conversation=conversation)) if conversation is not None else []
    last_question = next(
        (turn.text for turn in reversed(turns) if turn.role == TurnRole.CUSTOMER), ""
    )
    bot_turns = [turn for turn in turns if turn.role == TurnRole.BOT]
    shown = {turn.article_id for turn in bot_turns if turn.article_id}
    articles = [
        hit
        for hit in (search(last_question, limit=ARTICLES + 1) if last_question else [])
        if hit.article_id not in shown
    ][:ARTICLES]
    if turns:
        form.fields["question"].widget.attrs["placeholder"] = gettext("Type another question")
    topics = [] if turns else list(
        published_articles(public_only=True).order_by("-published_at", "-pk")[:TOPICS]
    )  # fmt: skip
    return _render(
        request,
        "portal/kiosk/home.html",
        {
            "form": form,
            "turns": turns,
            "last_bot": bot_turns[-1] if bot_turns else None,
            "articles": articles,
            "topics": topics,
            # Nothing of anyone here yet: the screen need not clear itself until touched.
            "is_clean": not turns and request.session.is_empty(),
        },
    )


@never_cache
def kiosk_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """An article on the kiosk's screen; links inside it do not lead off the kiosk."""
    article: Article | None = published_articles(public_only=True).filter(pk=article_id).first()
    if article is None:
        raise Http404("No such article")
    if request.session.session_key is None:
        request.session.save()
    _touch(request)
    record_view(
        article=article,
        source=Source.PORTAL,
        visitor=visitor_of(request.session.session_key),
        user=None,
    )
    return _render(request, "portal/kiosk/article.html", {"article": article})


@never_cache
def kiosk_person(request: HttpRequest) -> HttpResponse:
    """Leave an email address or a phone number; a case opens for a person to answer."""
    conversation = _conversation(request)
    if conversation is not None and conversation.handed_off_case_id is not None:
        return HttpResponseRedirect(reverse("portal:kiosk_done"))
    needs_text = conversation is None
    provider_id = uuid4()
    form = PersonForm(needs_text=needs_text)
    error = ""
    if request.method == "POST":
        _touch(request)
        form = PersonForm(request.POST, needs_text=needs_text)
        provider_id = _posted_provider_id(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = _open_case(conversation, provider_id, data)
            except (HandoffRefused, MessageRejected) as exc:
                error = str(exc) or gettext("We could not open your case. Please ask a member "
                                            "of staff.")  # fmt: skip
                provider_id = uuid4()
            else:
                request.session[CASE_KEY] = case.number
                request.session[REACH_KEY] = data["email"] or data["phone"]
                return HttpResponseRedirect(reverse("portal:kiosk_done"))
    return _render(
        request,
        "portal/kiosk/person.html",
        {
            "form": form,
            "provider_id": provider_id,
            "has_conversation": conversation is not None,
            "error": error,
        },
    )


def _posted_provider_id(request: HttpRequest) -> UUID:
    """The id minted when the form was shown: sending it twice is a replay, not a second case."""
    try:
        return UUID(request.POST.get("provider_id", ""))
    except ValueError:
        return uuid4()


def _open_case(conversation: Conversation | None, provider_id: UUID,
               data: dict[str, str]) -> Case:  # fmt: skip
    """Hand the bot's conversation to a person, or, without one, open a case with what the
    visitor typed; both through intake.receive on the kiosk channel."""
    if conversation is not None:
        return handoff(
            conversation=conversation, name=data["name"], email=data["email"], phone=data["phone"]
        )
    if data["email"]:
        sender = Sender(kind=AddressKind.EMAIL, address=data["email"], name=data["name"])
    else:
        address = normalize_address(AddressKind.PHONE, data["phone"])
        sender = Sender(kind=AddressKind.PHONE, address=address, name=data["name"])
    text = data["text"].strip()
    subject = " ".join(text.split())
    return receive(
        InboundMessage(
            channel=ChannelKind.KIOSK,
            provider_id=f"kiosk:{provider_id}",
            sender=sender,
            subject=subject if len(subject) <= 120 else subject[:119].rstrip() + "…",
            text=text,
        )
    ).case


@never_cache
def kiosk_done(request: HttpRequest) -> HttpResponse:
    number = request.session.get(CASE_KEY)
    if not number:
        return HttpResponseRedirect(reverse("portal:kiosk"))
    reach = str(request.session.get(REACH_KEY, ""))
    return _render(
        request,
        "portal/kiosk/done.html",
        {"number": number, "reach": reach, "by_email": "@" in reach},
        idle=min(DONE_IDLE_SECONDS, settings.CASEWAY_KIOSK_IDLE_SECONDS),
    )


@require_POST
def kiosk_reset(request: HttpRequest) -> HttpResponse:
    """Forget the visitor: the session (conversation, case number, address) is deleted."""
    request.session.flush()
    return HttpResponseRedirect(reverse("portal:kiosk"))
