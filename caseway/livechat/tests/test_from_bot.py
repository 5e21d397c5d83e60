"""The portal bot's conversation going on as a live chat: the turns become the chat's first
lines, the case comes in on the chat channel (so chat routing offers it), and the portal page
hands the widget the session."""

import pytest
from django.urls import reverse

from caseway.assist import services as assist
from caseway.assist.models import Conversation
from caseway.cases.models import Case
from caseway.core.kinds import ChannelKind
from caseway.livechat.exceptions import BadPrechat
from caseway.livechat.from_bot import continue_in_chat
from caseway.livechat.models import ChatSession, ChatState, LineRole
from caseway.routing.models import RoutingDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(router_article):
    answer = assist.ask(question="How do I reset my router?", channel=ChannelKind.PORTAL)
    return Conversation.objects.get(token=answer.conversation)


@pytest.mark.django_db(transaction=True)
def test_the_bot_turns_become_the_chat_and_a_person_is_offered_it(
    conversation, chat_agent, chat_queue
):
    # Real commits: routing assigns after intake commits, before the chat reads the owner.
    session = continue_in_chat(conversation=conversation, name="Vic", email="vic@example.test")
    roles = list(session.lines.order_by("pk").values_list("role", flat=True))
    assert roles[:2] == [LineRole.VISITOR, LineRole.BOT]
    assert session.lines.filter(role=LineRole.BOT, text__icontains="reset button").exists()
    case = Case.objects.get(pk=session.case_id)
    assert case.origin_channel == ChannelKind.CHAT
    assert case.queue_id == chat_queue.pk
    assert case.owner_id == chat_agent.pk
    assert session.state == ChatState.WAITING
    assert RoutingDecision.objects.filter(case=case).exists()
    assert "How do I reset my router?" in case.activities.first().text


def test_a_second_click_gives_the_same_chat(
    conversation, chat_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = continue_in_chat(conversation=conversation, name="Vic", email="vic@example.test")
        again = continue_in_chat(conversation=conversation, name="Vic", email="vic@example.test")
    assert first.pk == again.pk
    assert ChatSession.objects.count() == 1
    assert Case.objects.count() == 1


def test_a_conversation_already_handed_off_by_email_is_not_chatted(conversation, chat_agent):
    assist.handoff(conversation=conversation, name="Vic", email="vic@example.test")
    with pytest.raises(BadPrechat):
        continue_in_chat(conversation=conversation, name="Vic", email="vic@example.test")
    with pytest.raises(BadPrechat):
        continue_in_chat(conversation=conversation, name="Vic", email="not an address")


def test_the_bot_page_hands_the_widget_its_chat(
    client, router_article, chat_agent, django_capture_on_commit_callbacks
):
    url = reverse("portal:assist")
    client.post(url, {"action": "ask", "question": "How do I reset my router?"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": ["person", "chat"], "name": "Vic", "email": "vic@example.test"}
        )
    assert response.status_code == 302
    session = ChatSession.objects.get()
    page = client.get(url).content.decode()
    assert f'data-caseway-chat-token="{session.token}"' in page
    assert session.case.number in page
