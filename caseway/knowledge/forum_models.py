"""The community forum: customers ask, others answer, votes rank the answers, the asker (or
an agent) accepts one, agents moderate, and an answered thread can become a draft article.

Posts are plain text (shown escaped, never as HTML). Imported by models.py, so Django
registers these models with the knowledge app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TopicStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    LOCKED = "locked", _("Locked")


class ForumTopic(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("question"), max_length=10_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_topics"
    )
    category = models.ForeignKey(
        "knowledge.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_topics",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TopicStatus.choices, default=TopicStatus.OPEN
    )
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    accepted_reply = models.ForeignKey(
        "knowledge.ForumReply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promoted_article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_activity_at = models.DateTimeField(_("last activity"), db_index=True)

    class Meta:
        ordering = ["-last_activity_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class ForumReply(models.Model):
    topic = models.ForeignKey(ForumTopic, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_replies"
    )
    body = models.TextField(_("answer"), max_length=10_000)
    score = models.IntegerField(_("score"), default=0)
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = _("forum replies")

    def __str__(self) -> str:
        return f"reply {self.pk} to topic {self.topic_id}"


class ForumVote(models.Model):
    """One reader's vote on a reply: +1 or -1; voting again replaces it."""

    reply = models.ForeignKey(ForumReply, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_votes"
    )
    value = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reply", "voter"], name="forum_vote_once"),
            models.CheckConstraint(
                condition=models.Q(value__in=[-1, 1]), name="forum_vote_plus_or_minus_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value:+d} on reply {self.reply_id}"
