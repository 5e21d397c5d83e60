"""Lexical ranking: an in-process BM25 (SQLite, and any database without full-text search)
and PostgreSQL's full-text search over the search_vector column of migration 0002."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils import timezone

from caseway.knowledge.index import ts_config
from caseway.knowledge.text import tokenize

# BM25 constants; title and keyword words count twice (a poor man's BM25F).
K1 = 1.2
B = 0.75
TITLE_BOOST = 2
# PostgreSQL: rows sharing three, then two, then one of the query's first MAX_TIERED_WORDS
# words, until STOP_AFTER are found; at most RANK_CAP rows of the one-word tier.
MAX_TIERED_WORDS = 8
STOP_AFTER = 10
RANK_CAP = 2_000


@dataclass(frozen=True)
class Bm25Index:
    """Postings with each document's BM25 weight per term already computed, so a query is a
    few numpy additions. Documents are positions 0..n-1 of the caller's arrays."""

    postings: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]
    size: int

    @classmethod
    def build(cls, documents: Sequence[str]) -> Bm25Index:
        term_docs: dict[str, list[int]] = defaultdict(list)
        term_tfs: dict[str, list[int]] = defaultdict(list)
        lengths = np.zeros(len(documents), dtype=np.float32)
        for position, text in enumerate(documents):
            counts = Counter(tokenize(text))
            lengths[position] = sum(counts.values())
            for term, tf in counts.items():
                term_docs[term].append(position)
                term_tfs[term].append(tf)
        average = float(lengths.mean()) if len(documents) else 1.0
        norm = K1 * (1 - B + B * lengths / max(average, 1.0))
        postings = {}
        for term, docs in term_docs.items():
            ids = np.asarray(docs, dtype=np.int32)
            tfs = np.asarray(term_tfs[term], dtype=np.float32)
            idf = math.log(1 + (len(documents) - len(docs) + 0.5) / (len(docs) + 0.5))
            postings[term] = (ids, (idf * tfs * (K1 + 1) / (tfs + norm[ids])).astype(np.float32))
        return cls(postings=postings, size=len(documents))

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """The BM25 score of every document for the query (0 where no word matches)."""
        total = np.zeros(self.size, dtype=np.float32)
        for term in set(tokenize(query)):
            if term in self.postings:
                ids, weights = self.postings[term]
                total[ids] += weights
        return total


def bm25_document(title: str, questions: str, keywords: str, body: str) -> str:
    return " ".join([title] * TITLE_BOOST + [questions] + [keywords] * TITLE_BOOST + [body])


def postgres_ranked(
    query: str,
    *,
    limit: int,
    public_only: bool,
    language: str | None,
    languages: Sequence[str],
) -> list[tuple[int, float]]:
    """(article_id, rank) best first, from the GIN-indexed search_vector.

    The query's words (lexemes, per text-search configuration in use) are ranked ORed
    together: ANDing them, as plainto_tsquery does, finds nothing for most questions asked
    in a sentence. But ts_rank reads every row it ranks, and on a large knowledge base one
    common word matches thousands. So rows are taken in tiers, as the GIN index finds them:
    those holding three of the words, then two, then one, each tier after the last until
    STOP_AFTER rows are found; of the last tier (one word), at most RANK_CAP rows.
    """
    configs = sorted({ts_config(lang) for lang in ([language] if language else languages)})
    words = query_lexemes(query, configs)
    if not words:
        return []
    # The planner prices a tsquery of many terms on the GIN index too high and scans the
    # table instead, testing every clause on every row (40 ms at 10,000 articles against 2 ms
    # through the index): turned off for this transaction only, and restored after (an
    # error rolls the transaction or savepoint back, and the setting with it).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        found = _tiered(words, limit=limit, public_only=public_only, language=language)
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
    return found


def _tiered(words: list[str], *, limit: int, public_only: bool, language: str | None
            ) -> list[tuple[int, float]]:  # fmt: skip
    ranking = " | ".join(words)
    paired = words[:MAX_TIERED_WORDS]
    found: list[tuple[int, float]] = []
    for size in range(min(3, len(paired)), 0, -1):
        matching = (
            ranking
            if size == 1
            else " | ".join(
                "(" + " & ".join(combo) + ")" for combo in itertools.combinations(paired, size)
            )
        )
        seen = [article_id for article_id, _rank in found]
        found += _ranked_rows(
            ranking, matching, limit - len(found), public_only, language, seen,
            cap=RANK_CAP if size == 1 else None,
        )  # fmt: skip
        if len(found) >= min(STOP_AFTER, limit):
            break
    return found


def query_lexemes(query: str, configs: Sequence[str]) -> list[str]:
    """The query's lexemes under each configuration, quoted for a tsquery, first seen first."""
    if not configs:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector(cfg::regconfig, %s)) "
            "FROM unnest(%s::text[]) AS cfg",
            [query, list(configs)],
        )
        lexemes = [lexeme for (row,) in cursor.fetchall() for lexeme in row]
    quoted = ("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return list(dict.fromkeys(quoted))


def _ranked_rows(
    ranking: str,
    matching: str,
    limit: int,
    public_only: bool,
    language: str | None,
    exclude: list[int],
    *,
    cap: int | None,
) -> list[tuple[int, float]]:
    """Rows matching `matching` (only the first `cap` found when capped), ranked by `ranking`.

    Uncapped, the planner reads the selective multi-word tiers through the GIN index; a
    LIMIT there would tempt it into a sequential scan testing the whole tsquery on every row.
    """
    filters = ["d.search_vector @@ %s::tsquery", "(d.expires_at IS NULL OR d.expires_at > %s)"]
    params: list[Any] = [ranking, matching, timezone.now()]
    if public_only:
        filters.append("d.is_public")
    if language:
        filters.append("d.language = %s")
        params.append(language)
    if exclude:
        filters.append("NOT d.article_id = ANY(%s)")
        params.append(exclude)
    if cap is not None:
        params.append(cap)
    sql = f"""
        SELECT m.article_id, ts_rank(m.search_vector, %s::tsquery, 1) AS rank
        FROM (
            SELECT d.article_id, d.search_vector FROM knowledge_searchdocument d
            WHERE {" AND ".join(filters)}
            {"LIMIT %s" if cap is not None else ""}
        ) m
        ORDER BY rank DESC, m.article_id
        LIMIT %s
    """  # noqa: S608 - only placeholders and fixed SQL fragments are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [(int(article_id), float(rank)) for article_id, rank in cursor.fetchall()]
