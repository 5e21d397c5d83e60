"""What readers do with the knowledge base, kept for analytics: searches (and those that found
nothing), article views by where they came from, helpful votes with comments, and whether a
customer who read a suggested article went on to open a case anyway (a deflection if not).

Imported by models.py, so Django registers these models with the knowledge app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where a search or a view came from."""

    PORTAL = "portal", _("Portal search")
    SUGGESTION = "suggestion", _("Suggested on the new case form")
    RELATED = "related", _("Related article")
    BOT = "bot", _("Bot")
    AGENT = "agent", _("Agent suggestion")
    API = "api", _("API")
    DIRECT = "direct", _("Direct link")


class SearchLog(models.Model):
    """One search: what was asked, where, and how many articles it found."""

    query = models.CharField(_("query"), max_length=300)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    results = models.PositiveIntegerField(_("results"))
    top_article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["results", "created_at"], name="kb_search_results")]

    def __str__(self) -> str:
        return self.query


class ArticleView(models.Model):
    """An article read in the portal. Views from the new case form's suggestions stay
    `pending` until the same visitor opens a case (led_to_case) or leaves: a deflection."""

    article = models.ForeignKey("knowledge.Article", on_delete=models.CASCADE, related_name="views")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    visitor = models.CharField(_("visitor"), max_length=64, blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    led_to_case = models.BooleanField(_("led to a case"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["article", "created_at"], name="kb_view_article")]

    def __str__(self) -> str:
        return f"view of article {self.article_id}"


class ArticleFeedback(models.Model):
    """ "Was this helpful?" with an optional comment (plain text)."""

    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    visitor = models.CharField(_("visitor"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{'helpful' if self.helpful else 'not helpful'}: article {self.article_id}"
