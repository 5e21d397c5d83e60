"""Articles in and out as JSON Lines, one article per line (`caseway kb import|export`).

Fields: title, body (HTML), questions, category, keywords, state, and optionally summary,
language, visibility, products. An imported article walks the lifecycle to its state through
the services, so versions are recorded and published ones are indexed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from caseway.knowledge import services
from caseway.knowledge.index import index_articles
from caseway.knowledge.models import Article, ArticleState, ArticleVisibility, Category

Step = Callable[..., Article]
# The services an imported draft goes through to reach each state.
PATHS: dict[str, list[Step]] = {
    ArticleState.DRAFT: [],
    ArticleState.IN_REVIEW: [services.submit_for_review],
    ArticleState.APPROVED: [services.submit_for_review, services.approve_article],
    ArticleState.PUBLISHED: [
        services.submit_for_review, services.approve_article, services.publish_article,
    ],
    ArticleState.EXPIRED: [
        services.submit_for_review, services.approve_article, services.publish_article,
        services.expire_article,
    ],
    ArticleState.ARCHIVED: [services.archive_article],
}  # fmt: skip
TEXT_LISTS = ("questions", "keywords", "products")


class BadLine(ValueError):
    """A line that is not a valid article; the message says why."""


@dataclass
class ImportReport:
    created: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # "line N: why"
    indexed: int = 0


def import_articles(lines: Iterable[str], *, actor: AbstractBaseUser | None) -> ImportReport:
    """Create one article per non-blank line, each in its own transaction: a bad line is
    reported with its number and the others go in. Published ones are indexed at once."""
    report = ImportReport()
    published: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            values = parse_line(line)
            with transaction.atomic():
                article = create_imported(values, actor=actor)
        except BadLine as error:
            report.errors.append(f"line {number}: {error}")
            continue
        report.created += 1
        report.by_state[article.state] = report.by_state.get(article.state, 0) + 1
        if article.state == ArticleState.PUBLISHED:
            published.append(article.pk)
    report.indexed = index_articles(article_ids=published).indexed
    return report


def parse_line(line: str) -> dict[str, Any]:
    """The checked fields of one line, or BadLine."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadLine(f"not valid JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise BadLine("expected a JSON object")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BadLine("'title' must be a non-empty string")
    if len(title) > 255:
        raise BadLine("'title' is longer than 255 characters")
    values: dict[str, Any] = {"title": title}
    for name in ("body", "summary", "category"):
        value = data.get(name) or ""
        if not isinstance(value, str):
            raise BadLine(f"'{name}' must be a string")
        values[name] = value
    if len(values["category"]) > 120:
        raise BadLine("'category' is longer than 120 characters")
    for name in TEXT_LISTS:
        value = data.get(name) or []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadLine(f"'{name}' must be a list of strings")
        values[name] = value
    state = data.get("state") or ArticleState.DRAFT
    if state not in ArticleState.values:
        raise BadLine(f"'state' must be one of {', '.join(ArticleState.values)}")
    visibility = data.get("visibility") or ArticleVisibility.PUBLIC
    if visibility not in ArticleVisibility.values:
        raise BadLine(f"'visibility' must be one of {', '.join(ArticleVisibility.values)}")
    language = data.get("language") or "en"
    if not isinstance(language, str) or len(language) > 12:
        raise BadLine("'language' must be a language code")
    values.update(state=state, visibility=visibility, language=language)
    return values


def create_imported(values: dict[str, Any], *, actor: AbstractBaseUser | None) -> Article:
    category = _category(values["category"]) if values["category"].strip() else None
    article = services.create_article(
        title=values["title"],
        body=values["body"],
        summary=values["summary"],
        questions=values["questions"],
        keywords=values["keywords"],
        products=values["products"],
        category=category,
        language=values["language"],
        visibility=values["visibility"],
        author=actor,
    )
    for step in PATHS[values["state"]]:
        article = step(article=article, actor=actor)
    return article


def _category(name: str) -> Category:
    """The category of that name, created if new."""
    found = Category.objects.filter(name=name.strip()).order_by("pk").first()
    return found or services.create_category(name=name.strip())


def export_articles(articles: Iterable[Article] | None = None) -> Iterator[str]:
    """One JSON line per article (every article by default), in the fields import reads."""
    if articles is None:
        articles = (
            Article.objects.select_related("category").prefetch_related("questions").order_by("pk")
        )
    for article in articles:
        yield json.dumps(
            {
                "title": article.title,
                "body": article.body,
                "summary": article.summary,
                "questions": [q.text for q in article.questions.all()],
                "category": article.category.name if article.category else "",
                "keywords": list(article.keywords or []),
                "products": list(article.products or []),
                "state": article.state,
                "visibility": article.visibility,
                "language": article.language,
            },
            ensure_ascii=False,
        )
