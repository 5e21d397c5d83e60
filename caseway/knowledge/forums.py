"""Every write on the community forum: ask, answer, vote, accept, moderate, promote.

Who may do what: any signed-in user asks, answers and votes (not on their own reply); the
asker or an agent (staff) accepts an answer; agents hide, show, lock and unlock, and promote
an answered topic to a draft article. Locked or hidden topics take no new answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.knowledge import services as article_services
from caseway.knowledge.exceptions import KnowledgeError
from caseway.knowledge.forum_models import ForumReply, ForumTopic, ForumVote, TopicStatus
from caseway.knowledge.models import Article, Category

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Whoever is on the page: a user, an anonymous visitor (request.user) or nobody.
Reader = Any

MAX_TITLE = 200
MAX_BODY = 10_000


class ForumError(KnowledgeError):
    """A forum action that is not allowed; the message says why."""


def is_moderator(user: Reader) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _require_user(user: Reader) -> User:
    if user is None or not user.is_authenticated:
        raise ForumError(_("Sign in to take part in the community."))
    return cast("User", user)


def _require_moderator(user: Reader) -> User:
    if not is_moderator(user):
        raise ForumError(_("Only our team can do that."))
    return cast("User", user)


def _text(value: str, limit: int, what: str) -> str:
    value = value.strip()
    if not value:
        raise ForumError(_("The %(what)s is empty.") % {"what": what})
    if len(value) > limit:
        raise ForumError(
            _("The %(what)s is longer than %(n)d characters.") % {"what": what, "n": limit}
        )
    return value


def visible_topics(user: Reader) -> QuerySet[ForumTopic]:
    """Topics a reader sees: hidden ones only for moderators."""
    topics = ForumTopic.objects.select_related("author", "category")
    return topics if is_moderator(user) else topics.filter(is_hidden=False)


def visible_replies(topic: ForumTopic, user: Reader) -> list[ForumReply]:
    """The accepted answer first, then by score, then oldest first."""
    replies = topic.replies.select_related("author")
    if not is_moderator(user):
        replies = replies.filter(is_hidden=False)
    ordered = list(replies.order_by("-score", "created_at", "pk"))
    ordered.sort(key=lambda r: r.pk != topic.accepted_reply_id)
    return ordered


def ask(*, author: Reader, title: str, body: str, category: Category | None = None) -> ForumTopic:
    user = _require_user(author)
    return ForumTopic.objects.create(
        title=_text(title, MAX_TITLE, _("title")),
        body=_text(body, MAX_BODY, _("question")),
        author=user,
        category=category,
        last_activity_at=timezone.now(),
    )


@transaction.atomic
def answer(*, topic: ForumTopic, author: Reader, body: str) -> ForumReply:
    user = _require_user(author)
    topic = ForumTopic.objects.select_for_update().get(pk=topic.pk)
    if topic.status == TopicStatus.LOCKED or topic.is_hidden:
        raise ForumError(_("This topic is closed to new answers."))
    reply = ForumReply.objects.create(
        topic=topic, author=user, body=_text(body, MAX_BODY, _("answer"))
    )
    ForumTopic.objects.filter(pk=topic.pk).update(last_activity_at=timezone.now())
    return reply


@transaction.atomic
def vote(*, reply: ForumReply, voter: Reader, value: int) -> ForumReply:
    """+1 or -1; 0 takes the vote back. The reply's score is recounted from the votes."""
    user = _require_user(voter)
    if value not in (-1, 0, 1):
        raise ForumError(_("A vote is up or down."))
    reply = ForumReply.objects.select_for_update().get(pk=reply.pk)
    if reply.author_id == user.pk:
        raise ForumError(_("You cannot vote on your own answer."))
    if value == 0:
        ForumVote.objects.filter(reply=reply, voter=user).delete()
    else:
        ForumVote.objects.update_or_create(reply=reply, voter=user, defaults={"value": value})
    reply.score = ForumVote.objects.filter(reply=reply).aggregate(s=Sum("value"))["s"] or 0
    reply.save(update_fields=["score"])
    return reply


@transaction.atomic
def accept(*, reply: ForumReply, actor: Reader) -> ForumTopic:
    """The asker or an agent marks the answer that solved it; the topic is answered."""
    user = _require_user(actor)
    topic = ForumTopic.objects.select_for_update().get(pk=reply.topic_id)
    if topic.author_id != user.pk and not is_moderator(user):
        raise ForumError(_("Only the person who asked can accept an answer."))
    if reply.is_hidden:
        raise ForumError(_("A hidden answer cannot be accepted."))
    topic.accepted_reply = reply
    if topic.status == TopicStatus.OPEN:
        topic.status = TopicStatus.ANSWERED
    topic.save(update_fields=["accepted_reply", "status"])
    return topic


def set_hidden(*, post: ForumTopic | ForumReply, hidden: bool, actor: Reader) -> None:
    """Moderation: hide a topic or a reply from readers (it is kept), or show it again."""
    _require_moderator(actor)
    type(post).objects.filter(pk=post.pk).update(is_hidden=hidden)
    if isinstance(post, ForumReply) and hidden:
        ForumTopic.objects.filter(pk=post.topic_id, accepted_reply_id=post.pk).update(
            accepted_reply=None, status=TopicStatus.OPEN
        )


def set_locked(*, topic: ForumTopic, locked: bool, actor: Reader) -> ForumTopic:
    _require_moderator(actor)
    if locked:
        topic.status = TopicStatus.LOCKED
    else:
        topic.status = TopicStatus.ANSWERED if topic.accepted_reply_id else TopicStatus.OPEN
    topic.save(update_fields=["status"])
    return topic


@transaction.atomic
def promote(*, topic: ForumTopic, actor: Reader) -> Article:
    """A draft article from an answered topic: its title as title and alternate question, the
    question and the accepted answer as body. Once per topic."""
    user = _require_moderator(actor)
    topic = ForumTopic.objects.select_for_update().get(pk=topic.pk)
    if topic.promoted_article_id is not None:
        raise ForumError(_("This topic is already an article."))
    reply = topic.accepted_reply
    if reply is None:
        raise ForumError(_("Only a topic with an accepted answer can become an article."))
    body = article_services.question_answer_body(question=topic.body, answer=reply.body)
    article = article_services.create_article(
        title=topic.title, body=body, questions=[topic.title], author=user, category=topic.category
    )
    topic.promoted_article = article
    topic.save(update_fields=["promoted_article"])
    return article


def search_topics(query: str, user: Reader) -> QuerySet[ForumTopic]:
    """Topics whose title or question holds every word of the query (simple, in the database)."""
    topics = visible_topics(user)
    for word in query.split()[:8]:
        topics = topics.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return topics
