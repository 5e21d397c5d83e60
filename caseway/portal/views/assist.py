"""The help bot page: ask in your own words, read the passage and its article, say whether it
helped, or ask for a person: a case opened with the whole conversation, answered by email, or
the same conversation going on as a live chat in the chat widget ("Chat with a person now").

One page, plain form posts (each answered with a redirect back to it), so it works without
JavaScript; htmx boosts the forms when it is there. A visitor's conversation is found through
their session; a signed-in customer's handoff writes as them, without the name/email form.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caseway.assist.exceptions import ConversationNotFound, HandoffRefused, NotABotAnswer
from caseway.assist.models import Conversation, TurnRole
from caseway.assist.queries import get_conversation, turns_of
from caseway.assist.services import QUESTION_MAX, ask, handoff, record_feedback
from caseway.cases.models import Case
from caseway.cases.queries import contact_of
from caseway.core.kinds import ChannelKind
from caseway.customers.models import Contact
from caseway.livechat.exceptions import ChatError
from caseway.livechat.from_bot import continue_in_chat, open_chat_for
from caseway.portal.inbound import sender_for_contact
from caseway.portal.tokens import make_case_token

SESSION_KEY = "assist_conversation"
TEMPLATE = "portal/assist.html"


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=QUESTION_MAX,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("e.g. How do I change my password?")}
        ),
    )


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Your email"), max_length=254)


def ask_bot(request: HttpRequest) -> HttpResponse:
    """GET shows the conversation; POST `action` is ask, feedback, person or restart."""
    contact = contact_of(request.user)
    conversation = _current(request)
    question_form = QuestionForm()
    person_form = PersonForm()
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "ask")
        if action == "restart":
            request.session.pop(SESSION_KEY, None)
            return _back()
        if action == "feedback" and conversation is not None:
            try:
                record_feedback(
                    conversation=conversation,
                    turn_id=int(request.POST.get("turn", "0") or 0),
                    is_helpful=request.POST.get("helpful") == "yes",
                )
            except (NotABotAnswer, ValueError):
                error = gettext("We could not find that answer. Please try again.")
            else:
                return _back()
        elif action in ("person", "chat") and conversation is not None:
            name, email = "", ""
            if contact is not None:
                sender = sender_for_contact(contact)
                name, email = contact.name, sender.address if sender is not None else ""
                if not email:
                    error = gettext("Your profile has no email address to write from.")
            else:
                person_form = PersonForm(request.POST)
                if person_form.is_valid():
                    name = person_form.cleaned_data["name"]
                    email = person_form.cleaned_data["email"]
            if email:
                try:
                    if action == "chat":
                        continue_in_chat(conversation=conversation, name=name, email=email)
                    else:
                        handoff(conversation=conversation, name=name, email=email)
                except (HandoffRefused, ChatError) as exc:
                    error = str(exc) or gettext("This chat has ended. Please ask again.")
                else:
                    return _back()
        elif action == "ask":
            question_form = QuestionForm(request.POST)
            if question_form.is_valid():
                answer = ask(
                    question=question_form.cleaned_data["question"],
                    conversation=conversation,
                    contact=contact,
                    channel=ChannelKind.PORTAL,
                )
                request.session[SESSION_KEY] = answer.conversation
                return _back()
        else:
            error = gettext("Your conversation has ended. Please ask your question again.")
    return render(
        request,
        TEMPLATE,
        _context(request, conversation, contact, question_form, person_form, error),
    )


def _current(request: HttpRequest) -> Conversation | None:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    try:
        return get_conversation(token=token)
    except ConversationNotFound:
        request.session.pop(SESSION_KEY, None)
        return None


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("portal:assist") + "#latest")


def _context(request: HttpRequest, conversation: Conversation | None, contact: Contact | None,
             question_form: QuestionForm, person_form: PersonForm, error: str
             ) -> dict[str, object]:  # fmt: skip
    turns = list(turns_of(conversation=conversation)) if conversation is not None else []
    bot_turns = [turn for turn in turns if turn.role == TurnRole.BOT]
    last = bot_turns[-1] if bot_turns else None
    case = conversation.handed_off_case if conversation is not None else None
    offer_person = (
        conversation is not None
        and case is None
        and (
            request.GET.get("person") == "1"
            or person_form.is_bound
            or (last is not None and (last.is_handoff_offered or last.is_helpful is False))
        )
    )
    return {
        "conversation": conversation,
        "turns": turns,
        "contact": contact,
        "question_form": question_form,
        "person_form": person_form,
        "offer_person": offer_person,
        "error": error,
        "case": case,
        "chat": open_chat_for(conversation) if conversation is not None else None,
        "case_url": _case_url(request, case, contact) if case is not None else "",
    }


def _case_url(request: HttpRequest, case: Case, contact: Contact | None) -> str:
    """Where the customer follows the case: its page when signed in, else the private link."""
    if contact is not None and case.contact_id == contact.pk:
        return reverse("portal:case_detail", args=[case.number])
    return request.build_absolute_uri(reverse("portal:case_link", args=[make_case_token(case)]))
