"""Reads of articles: who may see which, and the differences between versions."""

from __future__ import annotations

import difflib

from django.db.models import QuerySet
from django.utils import timezone

from caseway.knowledge.exceptions import VersionNotFound
from caseway.knowledge.models import Article, ArticleState, ArticleVersion, ArticleVisibility


def published_articles(*, public_only: bool = True) -> QuerySet[Article]:
    """Articles readers may see: published, not past their expiry; public ones only for
    customers (agents pass public_only=False)."""
    articles = Article.objects.filter(state=ArticleState.PUBLISHED).exclude(
        expires_at__lte=timezone.now()
    )
    if public_only:
        articles = articles.filter(visibility=ArticleVisibility.PUBLIC)
    return articles


def get_version(*, article: Article, number: int) -> ArticleVersion:
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise VersionNotFound(f"article {article.pk} has no version {number}")
    return version


def version_diff(*, article: Article, old: int, new: int) -> str:
    """A unified diff of two versions: title, summary, then the body's plain text by line."""
    before = get_version(article=article, number=old)
    after = get_version(article=article, number=new)

    def lines(version: ArticleVersion) -> list[str]:
        return [
            f"# {version.title}",
            *version.summary.splitlines(),
            "",
            *version.body_text.splitlines(),
        ]

    return "\n".join(
        difflib.unified_diff(
            lines(before), lines(after), fromfile=f"v{old}", tofile=f"v{new}", lineterm=""
        )
    )
