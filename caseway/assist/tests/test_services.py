import pytest

from caseway.assist import services
from caseway.assist.exceptions import EmptyQuestion, NotABotAnswer, QuestionTooLong
from caseway.assist.models import Conversation, ConversationOutcome, Turn, TurnRole
from caseway.assist.tests.conftest import NONSENSE
from caseway.cases.models import Activity, ActivityKind, Case
from caseway.core.kinds import ChannelKind
from caseway.intake.models import InboundRecord

pytestmark = pytest.mark.django_db


def test_answer_is_a_verbatim_passage_of_the_best_article(knowledge_base):
    article = knowledge_base["password"]
    answer = services.ask(question="How can I reset my password?")
    assert answer.handoff is False
    assert answer.article_id == article.pk
    assert answer.answer in article.body_text
    assert "Reset password" in answer.answer  # the passage about resetting, not the intro
    assert answer.url == article.get_absolute_url()
    assert 0 < answer.confidence <= 1


def test_asking_records_both_turns_on_a_new_conversation(knowledge_base):
    answer = services.ask(question="where is my parcel")
    conversation = Conversation.objects.get(token=answer.conversation)
    turns = list(conversation.turns.order_by("pk"))
    assert [t.role for t in turns] == [TurnRole.CUSTOMER, TurnRole.BOT]
    assert turns[0].text == "where is my parcel"
    assert turns[1].pk == answer.turn_id
    assert turns[1].article_id == knowledge_base["delivery"].pk
    assert conversation.outcome == ConversationOutcome.ANSWERED
    assert conversation.channel == ChannelKind.PORTAL


def test_a_question_nothing_matches_gets_no_article_text_and_an_offer_of_a_person(
    knowledge_base,
):
    answer = services.ask(question=NONSENSE)
    assert answer.handoff is True
    assert answer.article_id is None
    assert answer.url == ""
    for article in knowledge_base.values():
        assert article.body_text not in answer.answer
        for line in article.body_text.splitlines():
            assert line not in answer.answer
    conversation = Conversation.objects.get(token=answer.conversation)
    assert conversation.outcome == ConversationOutcome.UNANSWERED


def test_below_the_threshold_the_bot_hands_off_even_with_a_hit(knowledge_base, settings):
    settings.ASSIST_CONFIDENCE_THRESHOLD = 1.01
    answer = services.ask(question="how do I reset my password")
    assert answer.handoff is True
    assert answer.article_id is None
    assert "Settings" not in answer.answer
    assert answer.confidence > 0  # the evidence is still weighed and reported


def test_internal_articles_are_never_answered(knowledge_base):
    answer = services.ask(question="reset a customer password by phone after checking ID")
    assert answer.article_id != knowledge_base["internal"].pk
    assert "Agents only" not in answer.answer


def test_empty_and_overlong_questions_are_refused(knowledge_base):
    with pytest.raises(EmptyQuestion):
        services.ask(question="   ")
    with pytest.raises(QuestionTooLong):
        services.ask(question="x" * (services.QUESTION_MAX + 1))
    assert not Conversation.objects.exists()


def test_a_conversation_continues_with_later_questions(knowledge_base):
    first = services.ask(question="where is my parcel")
    conversation = Conversation.objects.get(token=first.conversation)
    second = services.ask(question="how do I get a refund", conversation=conversation)
    assert second.conversation == first.conversation
    assert conversation.turns.count() == 4


def test_feedback_is_recorded_on_the_answer(knowledge_base):
    answer = services.ask(question="where is my parcel")
    conversation = Conversation.objects.get(token=answer.conversation)
    turn = services.record_feedback(
        conversation=conversation, turn_id=answer.turn_id, is_helpful=False
    )
    assert turn.is_helpful is False
    conversation.refresh_from_db()
    assert conversation.outcome == ConversationOutcome.NOT_HELPED


def test_feedback_on_a_customer_turn_or_another_conversation_is_refused(knowledge_base):
    answer = services.ask(question="where is my parcel")
    conversation = Conversation.objects.get(token=answer.conversation)
    customer_turn = conversation.turns.get(role=TurnRole.CUSTOMER)
    with pytest.raises(NotABotAnswer):
        services.record_feedback(
            conversation=conversation, turn_id=customer_turn.pk, is_helpful=True
        )
    other = services.start_conversation()
    with pytest.raises(NotABotAnswer):
        services.record_feedback(conversation=other, turn_id=answer.turn_id, is_helpful=True)


def test_handoff_opens_a_case_through_intake_with_the_whole_transcript(
    knowledge_base, default_queue
):
    first = services.ask(question="where is my parcel")
    conversation = Conversation.objects.get(token=first.conversation)
    services.ask(question=NONSENSE, conversation=conversation)
    case = services.handoff(conversation=conversation, name="Vera Visitor", email="vera@x.test")

    assert isinstance(case, Case)
    assert case.origin_channel == ChannelKind.PORTAL
    assert case.contact.email == "vera@x.test"
    record = InboundRecord.objects.get(provider_id=f"assist:{conversation.token}")
    assert record.channel == ChannelKind.PORTAL
    message = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_IN)
    for turn in Turn.objects.filter(conversation=conversation):
        assert turn.text in message.text
    assert knowledge_base["delivery"].get_absolute_url() in message.text
    conversation.refresh_from_db()
    assert conversation.handed_off_case == case
    assert conversation.outcome == ConversationOutcome.HANDED_OFF
    assert conversation.contact_id == case.contact_id


def test_a_second_handoff_returns_the_same_case(knowledge_base, default_queue):
    answer = services.ask(question=NONSENSE)
    conversation = Conversation.objects.get(token=answer.conversation)
    first = services.handoff(conversation=conversation, name="V", email="vera@x.test")
    again = services.handoff(
        conversation=Conversation.objects.get(pk=conversation.pk), name="V", email="vera@x.test"
    )
    assert again == first
    assert Case.objects.count() == 1


def test_questions_after_a_handoff_keep_the_outcome(knowledge_base, default_queue):
    answer = services.ask(question=NONSENSE)
    conversation = Conversation.objects.get(token=answer.conversation)
    services.handoff(conversation=conversation, name="V", email="vera@x.test")
    services.ask(question="where is my parcel", conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.outcome == ConversationOutcome.HANDED_OFF


def test_every_question_is_logged_as_a_bot_search(knowledge_base):
    from caseway.knowledge.signals_models import SearchLog, Source

    services.ask(question="where is my parcel")
    services.ask(question=NONSENSE)
    logs = list(SearchLog.objects.filter(source=Source.BOT).order_by("pk"))
    assert [log.query for log in logs] == ["where is my parcel", NONSENSE]
    assert logs[0].top_article_id == knowledge_base["delivery"].pk
    assert logs[1].results == 0


def test_the_first_verdict_on_an_answer_is_a_helpful_vote_on_its_article(knowledge_base):
    from caseway.knowledge.signals_models import ArticleFeedback

    answer = services.ask(question="where is my parcel")
    conversation = Conversation.objects.get(token=answer.conversation)
    services.record_feedback(conversation=conversation, turn_id=answer.turn_id, is_helpful=True)
    services.record_feedback(conversation=conversation, turn_id=answer.turn_id, is_helpful=False)
    vote = ArticleFeedback.objects.get()
    assert vote.article == knowledge_base["delivery"]
    assert vote.helpful is True
