"""Categories, articles with their lifecycle, versions and alternate questions, and the search
index rows (one document and a few vectors per published article)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.core.models import TimestampedModel


class Category(models.Model):
    """A shelf of the knowledge base; categories nest through `parent`."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    EXPIRED = "expired", _("Expired")
    ARCHIVED = "archived", _("Archived")


# Where each state may go next. An approved article with a future publish_at is scheduled.
ARTICLE_TRANSITIONS: dict[str, frozenset[str]] = {
    ArticleState.DRAFT: frozenset({ArticleState.IN_REVIEW, ArticleState.ARCHIVED}),
    ArticleState.IN_REVIEW: frozenset(
        {ArticleState.APPROVED, ArticleState.DRAFT, ArticleState.ARCHIVED}
    ),
    ArticleState.APPROVED: frozenset(
        {ArticleState.PUBLISHED, ArticleState.DRAFT, ArticleState.ARCHIVED}
    ),
    ArticleState.PUBLISHED: frozenset(
        {ArticleState.APPROVED, ArticleState.EXPIRED, ArticleState.ARCHIVED}
    ),
    ArticleState.EXPIRED: frozenset({ArticleState.DRAFT, ArticleState.ARCHIVED}),
    ArticleState.ARCHIVED: frozenset({ArticleState.DRAFT}),
}


class ArticleVisibility(models.TextChoices):
    PUBLIC = "public", _("Public (customers and agents)")
    INTERNAL = "internal", _("Internal (agents only)")


class Article(TimestampedModel):
    """One answer. `body` is sanitised HTML, `body_text` its plain text (search, snippets).

    Content is edited only through services, which record an ArticleVersion per change.
    """

    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body (HTML)"), blank=True)
    body_text = models.TextField(_("body (plain text)"), blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=ArticleVisibility.choices,
        default=ArticleVisibility.PUBLIC,
    )
    language = models.CharField(_("language"), max_length=12, default="en")
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_articles",
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("Scheduled publication.")
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    current_version = models.PositiveIntegerField(_("current version"), default=0)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["state", "visibility"], name="article_state_vis")]
        permissions = [
            ("review_article", _("Can approve, reject, publish and unpublish articles")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == ArticleVisibility.PUBLIC

    def get_absolute_url(self) -> str:
        return article_path(self.pk, self.slug)


def article_path(article_id: int, slug: str) -> str:
    """Where the portal shows an article (one place for the API, search hits and the admin)."""
    return f"/kb/{article_id}/{slug}/"


class ArticleVersion(models.Model):
    """The content of an article as one edit left it; numbers count from 1 per article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=255)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body (HTML)"), blank=True)
    body_text = models.TextField(_("body (plain text)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="article_versions",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class AlternateQuestion(models.Model):
    """A way customers ask for the article; searched like its title."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("text"), max_length=500)

    class Meta:
        ordering = ["article", "pk"]

    def __str__(self) -> str:
        return self.text


def attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"kb/{instance.article_id}/{filename}"


class ArticleAttachment(models.Model):
    """A file offered with an article (a screenshot, a manual); checked against the same
    size and type limits as case attachments, always served as a download."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filename", "pk"]

    def __str__(self) -> str:
        return self.filename


class SearchDocument(models.Model):
    """What search knows of one published article, written only by caseway.knowledge.index.

    On PostgreSQL the table also has a `search_vector` tsvector column with a GIN index,
    created by migration 0002 outside the model (SQLite has no such type) and filled by
    index.py in the same transaction as the row.
    """

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=140)
    questions = models.TextField(blank=True)
    keywords = models.TextField(blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=12)
    is_public = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    indexed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title


class VectorKind(models.TextChoices):
    TITLE = "title", _("Title")
    QUESTION = "question", _("Alternate question")
    CHUNK = "chunk", _("Body chunk")


class ArticleVector(models.Model):
    """One normalised embedding (float32 bytes) of a title, question or body chunk."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="vectors")
    kind = models.CharField(max_length=10, choices=VectorKind.choices)
    position = models.PositiveIntegerField(default=0)
    vector = models.BinaryField()

    class Meta:
        ordering = ["document", "pk"]

    def __str__(self) -> str:
        return f"{self.document_id} {self.kind} {self.position}"


class SearchIndexState(models.Model):
    """One row whose token changes with every index write, so each process knows when its
    in-memory matrices are stale. A random token, not a counter: a rolled-back write must
    never leave a value that a later, different write could take again."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token


# What readers do with articles (searches, views, votes) and the community forum: registered
# with this app too.
from caseway.knowledge.forum_models import ForumReply, ForumTopic, ForumVote  # noqa: E402
from caseway.knowledge.signals_models import (  # noqa: E402
    ArticleFeedback,
    ArticleView,
    SearchLog,
)

__all__ = [
    "AlternateQuestion",
    "Article",
    "ArticleAttachment",
    "ArticleFeedback",
    "ArticleState",
    "ArticleVector",
    "ArticleVersion",
    "ArticleView",
    "ArticleVisibility",
    "Category",
    "ForumReply",
    "ForumTopic",
    "ForumVote",
    "SearchDocument",
    "SearchIndexState",
    "SearchLog",
    "VectorKind",
]
