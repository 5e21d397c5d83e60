"""The community forum: ask, answer, vote, accept, moderate, promote to a draft article."""

import pytest

from caseway.customers.tests.factories import UserFactory
from caseway.knowledge import forums
from caseway.knowledge.forum_models import ForumReply, ForumTopic, TopicStatus
from caseway.knowledge.models import Article, ArticleState

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return UserFactory(username="ann", first_name="Ann")


@pytest.fixture
def ben(db):
    return UserFactory(username="ben", first_name="Ben")


@pytest.fixture
def moderator(db):
    return UserFactory(username="mod", first_name="Mo", is_staff=True)


@pytest.fixture
def topic(ann):
    return forums.ask(author=ann, title="Printer shows E42", body="It blinks & <beeps>.")


def test_anyone_reads_signed_in_customers_ask(client, ann):
    assert client.get("/community/").status_code == 200
    assert client.get("/community/ask/").status_code == 302  # to sign in
    client.force_login(ann)
    response = client.post(
        "/community/ask/", {"title": "Printer shows E42", "body": "It blinks & <beeps>."}
    )
    topic = ForumTopic.objects.get()
    assert response["Location"] == f"/community/{topic.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "It blinks &amp; &lt;beeps&gt;." in page  # plain text, escaped
    assert "Printer shows E42" in client.get("/community/").content.decode()


def test_an_empty_question_is_refused_and_kept(client, ann):
    client.force_login(ann)
    response = client.post("/community/ask/", {"title": "Help", "body": "  "})
    assert response.status_code == 422
    assert "The question is empty." in response.content.decode()
    assert not ForumTopic.objects.exists()


def test_answers_votes_and_the_accepted_answer_first(client, topic, ann, ben, moderator):
    client.force_login(ben)
    client.post(f"/community/{topic.pk}/answer/", {"body": "Turn it off and on."})
    client.force_login(moderator)
    client.post(f"/community/{topic.pk}/answer/", {"body": "E42 is a paper jam: open tray 2."})
    first, second = ForumReply.objects.order_by("pk")

    client.force_login(ann)
    client.post(f"/community/{topic.pk}/replies/{first.pk}/vote/", {"vote": "up"})
    client.post(f"/community/{topic.pk}/replies/{first.pk}/vote/", {"vote": "up"})  # once only
    first.refresh_from_db()
    assert first.score == 1

    client.post(f"/community/{topic.pk}/replies/{second.pk}/accept/")
    topic.refresh_from_db()
    assert (topic.status, topic.accepted_reply) == (TopicStatus.ANSWERED, second)
    page = client.get(f"/community/{topic.pk}/").content.decode()
    assert page.index("paper jam") < page.index("Turn it off")
    assert "Accepted answer" in page


def test_nobody_votes_on_their_own_answer_or_accepts_for_someone_else(client, topic, ben, ann):
    reply = forums.answer(topic=topic, author=ben, body="Mine.")
    with pytest.raises(forums.ForumError):
        forums.vote(reply=reply, voter=ben, value=1)
    with pytest.raises(forums.ForumError):
        forums.accept(reply=reply, actor=ben)
    client.force_login(ben)
    response = client.post(f"/community/{topic.pk}/replies/{reply.pk}/accept/", follow=True)
    assert "Only the person who asked can accept an answer." in response.content.decode()


def test_moderators_hide_lock_and_readers_no_longer_see_or_answer(client, topic, ben, moderator):
    reply = forums.answer(topic=topic, author=ben, body="Buy my pills")
    client.force_login(moderator)
    client.post(f"/community/{topic.pk}/moderate/", {"action": "hide_reply", "reply": reply.pk})
    client.post(f"/community/{topic.pk}/moderate/", {"action": "lock"})
    reply.refresh_from_db()
    topic.refresh_from_db()
    assert reply.is_hidden and topic.status == TopicStatus.LOCKED

    client.force_login(ben)
    page = client.get(f"/community/{topic.pk}/").content.decode()
    assert "Buy my pills" not in page
    with pytest.raises(forums.ForumError):
        forums.answer(topic=topic, author=ben, body="more")
    response = client.post(f"/community/{topic.pk}/moderate/", {"action": "unlock"}, follow=True)
    assert "Only our team can do that." in response.content.decode()

    client.force_login(moderator)
    client.post(f"/community/{topic.pk}/moderate/", {"action": "hide"})
    client.logout()
    assert client.get(f"/community/{topic.pk}/").status_code == 404


def test_an_answered_topic_becomes_a_draft_article_once(client, topic, ben, moderator, ann):
    reply = forums.answer(topic=topic, author=ben, body="Open tray 2 & pull the paper.")
    forums.accept(reply=reply, actor=ann)
    client.force_login(moderator)

    response = client.post(f"/community/{topic.pk}/moderate/", {"action": "promote"})

    article = Article.objects.get()
    assert response["Location"] == f"/admin/knowledge/article/{article.pk}/change/"
    assert article.state == ArticleState.DRAFT
    assert article.title == "Printer shows E42"
    assert "Open tray 2 &amp; pull the paper." in article.body
    assert "It blinks &amp; &lt;beeps&gt;." in article.body
    topic.refresh_from_db()
    assert topic.promoted_article == article
    with pytest.raises(forums.ForumError):
        forums.promote(topic=topic, actor=moderator)


def test_a_topic_without_an_accepted_answer_cannot_be_promoted(topic, moderator):
    with pytest.raises(forums.ForumError):
        forums.promote(topic=topic, actor=moderator)


def test_search_finds_topics_by_their_words(client, topic, ann):
    forums.ask(author=ann, title="Invoice missing", body="Where is March?")
    page = client.get("/community/", {"q": "E42 printer"}).content.decode()
    assert "Printer shows E42" in page and "Invoice missing" not in page
