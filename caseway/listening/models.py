"""What social listening looks for (the watch list) and what it heard (every public post)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.cases.models import Case
from caseway.core.kinds import ChannelKind
from caseway.core.models import TimestampedModel


class WatchWordKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint word")
    PRODUCT = "product", _("Product name")


class WatchWord(TimestampedModel):
    """A word or phrase looked for in public posts (whole words, any case).

    A complaint word makes a post a complaint: it opens a case whatever its sentiment. A
    product name is recorded and becomes the product of the case the post opens (routing
    rules and entitlements can use it); on its own it opens nothing.
    """

    phrase = models.CharField(_("word or phrase"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=WatchWordKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "phrase"]
        verbose_name = _("watch word")

    def __str__(self) -> str:
        return self.phrase


class PostSentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class PostVerdict(models.TextChoices):
    OPENED_CASE = "opened_case", _("Opened a case")
    ADDED_TO_CASE = "added_to_case", _("Added to a case")
    RECORDED = "recorded", _("Recorded")
    FAILED = "failed", _("Failed")


class SocialPost(TimestampedModel):
    """One public post or comment as social listening judged it, kept whatever the verdict.

    Unique on (channel, provider_id): hearing a post again changes nothing. A post that
    should reach a case but failed (verdict failed, with the error) is tried again when it
    arrives again.
    """

    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    provider_id = models.CharField(_("provider id"), max_length=300)
    item = models.CharField(_("item"), max_length=20, blank=True)
    author_address = models.CharField(_("author id"), max_length=320)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    sentiment_score = models.FloatField(_("sentiment score"))
    sentiment = models.CharField(_("sentiment"), max_length=20, choices=PostSentiment.choices)
    matched_words = models.JSONField(_("watch words found"), default=list, blank=True)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    verdict = models.CharField(_("verdict"), max_length=20, choices=PostVerdict.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="social_posts"
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("social post")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"], name="socialpost_unique_provider_id"
            )
        ]
        indexes = [models.Index(fields=["verdict", "sentiment"], name="socialpost_verdict")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.provider_id} ({self.verdict})"
