"""The search index: one SearchDocument and its vectors per published article, nothing for
any other article. Writes are idempotent (an unchanged article is left alone) and batched, and
each write changes SearchIndexState's token so every process reloads its matrices."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from caseway.knowledge import embeddings
from caseway.knowledge.models import (
    AlternateQuestion,
    Article,
    ArticleState,
    ArticleVector,
    SearchDocument,
    SearchIndexState,
    VectorKind,
)
from caseway.knowledge.text import chunk_text

BATCH = 500
# PostgreSQL text-search configuration per article language; "simple" (no stemming) else.
TS_CONFIGS = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish",
    "fr": "french", "it": "italian", "nl": "dutch", "no": "norwegian", "pt": "portuguese",
    "ru": "russian", "sv": "swedish",
}  # fmt: skip


def ts_config(language: str) -> str:
    return TS_CONFIGS.get(language.split("-")[0].lower(), "simple")


@dataclass(frozen=True)
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0


def index_article(*, article_id: int) -> IndexReport:
    """Make the index show the article as it is now: indexed if published, absent if not."""
    return index_articles(article_ids=[article_id])


def index_articles(*, article_ids: Iterable[int]) -> IndexReport:
    """index_article for many articles, BATCH at a time (one embedding call per batch)."""
    totals = IndexReport()
    for batch in _batches(list(dict.fromkeys(article_ids)), BATCH):
        report = _index_batch(batch)
        totals = IndexReport(
            indexed=totals.indexed + report.indexed,
            unchanged=totals.unchanged + report.unchanged,
            removed=totals.removed + report.removed,
        )
    return totals


def reindex_all() -> IndexReport:
    """Index every published article and drop the documents of any other (idempotent)."""
    published = list(
        Article.objects.filter(state=ArticleState.PUBLISHED).values_list("pk", flat=True)
    )
    stale = list(
        SearchDocument.objects.exclude(article__state=ArticleState.PUBLISHED).values_list(
            "article_id", flat=True
        )
    )
    return index_articles(article_ids=[*published, *stale])


def current_token() -> str:
    """The token of the index's last write ("" before the first)."""
    return SearchIndexState.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class _Content:
    article: Article
    questions: list[str]
    chunks: list[str]
    content_hash: str


def _content(article: Article, questions: list[str]) -> _Content:
    keywords = [str(word) for word in article.keywords or []]
    chunks = chunk_text(article.body_text)
    fields = [
        article.title, article.slug, questions, keywords, article.body_text, article.language,
        article.visibility, article.expires_at.isoformat() if article.expires_at else None,
    ]  # fmt: skip
    digest = hashlib.sha256(json.dumps(fields).encode()).hexdigest()
    return _Content(article=article, questions=questions, chunks=chunks, content_hash=digest)


@transaction.atomic
def _index_batch(article_ids: list[int]) -> IndexReport:
    # Two tasks indexing one article at once (publish, then unpublish at once) take turns,
    # so neither inserts a document the other has just inserted.
    list(Article.objects.select_for_update().filter(pk__in=article_ids).values_list("pk"))
    articles = {
        a.pk: a for a in Article.objects.filter(pk__in=article_ids, state=ArticleState.PUBLISHED)
    }
    existing = dict(
        SearchDocument.objects.filter(article_id__in=article_ids).values_list(
            "article_id", "content_hash"
        )
    )
    questions: dict[int, list[str]] = defaultdict(list)
    for article_id, text in AlternateQuestion.objects.filter(
        article_id__in=list(articles)
    ).values_list("article_id", "text"):
        questions[article_id].append(text)
    contents = [_content(a, questions[a.pk]) for a in articles.values()]
    changed = [c for c in contents if existing.get(c.article.pk) != c.content_hash]
    gone = [pk for pk in existing if pk not in articles]
    if gone or changed:
        SearchDocument.objects.filter(
            article_id__in=gone + [c.article.pk for c in changed]
        ).delete()
    if changed:
        _write_documents(changed)
    if gone or changed:
        SearchIndexState.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    return IndexReport(
        indexed=len(changed), unchanged=len(contents) - len(changed), removed=len(gone)
    )


def _write_documents(contents: list[_Content]) -> None:
    SearchDocument.objects.bulk_create(
        SearchDocument(
            article_id=c.article.pk,
            title=c.article.title,
            slug=c.article.slug,
            questions="\n".join(c.questions),
            keywords=" ".join(str(word) for word in c.article.keywords or []),
            body=c.article.body_text,
            language=c.article.language,
            is_public=c.article.is_public,
            expires_at=c.article.expires_at,
            content_hash=c.content_hash,
        )
        for c in contents
    )
    texts: list[str] = []
    rows: list[tuple[int, str, int]] = []
    for c in contents:
        parts = [(VectorKind.TITLE, c.article.title)]
        parts += [(VectorKind.QUESTION, q) for q in c.questions]
        parts += [(VectorKind.CHUNK, chunk) for chunk in c.chunks]
        for position, (kind, text) in enumerate(parts):
            texts.append(text)
            rows.append((c.article.pk, kind, position))
    matrix = embeddings.embed(texts)
    ArticleVector.objects.bulk_create(
        (
            ArticleVector(
                document_id=article_id,
                kind=kind,
                position=position,
                vector=embeddings.to_bytes(matrix[n]),
            )
            for n, (article_id, kind, position) in enumerate(rows)
        ),
        batch_size=2_000,
    )
    if connection.vendor == "postgresql":
        _write_tsvectors(contents)


def _write_tsvectors(contents: list[_Content]) -> None:
    """Fill the PostgreSQL-only search_vector column (see migration 0002): title weighs most,
    then alternate questions and keywords, then the body."""
    by_config: dict[str, list[int]] = defaultdict(list)
    for c in contents:
        by_config[ts_config(c.article.language)].append(c.article.pk)
    with connection.cursor() as cursor:
        for config, ids in by_config.items():
            cursor.execute(
                """
                UPDATE knowledge_searchdocument SET search_vector =
                    setweight(to_tsvector(%(cfg)s::regconfig, title), 'A')
                    || setweight(to_tsvector(%(cfg)s::regconfig, questions), 'B')
                    || setweight(to_tsvector(%(cfg)s::regconfig, keywords), 'B')
                    || setweight(to_tsvector(%(cfg)s::regconfig, body), 'C')
                WHERE article_id = ANY(%(ids)s)
                """,
                {"cfg": config, "ids": ids},
            )
