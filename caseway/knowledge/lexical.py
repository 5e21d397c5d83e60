"""Lexical ranking: an in-process BM25 (SQLite, and any database without full-text search)
and PostgreSQL's full-text search over the search_vector column of migration 0002."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
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
    STOP_AFTER rows are found; of the last tier (one word), at most RANK_CAP rows. The tiers
    are one statement (`_tiered_sql`): a tier that is not needed is never read.
    """
    configs = sorted({ts_config(lang) for lang in ([language] if language else languages)})
    words = query_lexemes(query, configs)
    if not words:
        return []
    sql, params = _tiered_sql(words, limit=limit, public_only=public_only, language=language)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(article_id), float(rank)) for article_id, rank, _tier in cursor.fetchall()]


def _tiered_sql(words: list[str], *, limit: int, public_only: bool, language: str | None
                ) -> tuple[str, list[Any]]:  # fmt: skip
    """One statement for every tier: a CTE per tier, each gated on the tiers before it
    having found fewer than STOP_AFTER rows (a one-time filter: a gated tier reads nothing)
    and leaving out the rows they found.

    A tier of rows holding `size` of the words is one GIN scan per leading word (a BitmapOr):
    `w1 & (at least size-1 of the words after it)`, then `w2 & (...)`, each with a word the
    index must find, so each scan walks that word's postings only; one tsquery ORing every
    combination of words has no such word, and the index tests all of it on every row that
    holds any word (160 ms for ten common words at 100,000 articles, against about 25 ms).
    The tsqueries reach the planner as InitPlans (`(SELECT %s::tsquery)`), values it cannot
    see: estimated at the default selectivity, they go through the index. Seen, a tsquery of
    many common words looks costly there and the planner scans the table instead, testing it
    on every row.
    """
    ranking = " | ".join(words)
    paired = words[:MAX_TIERED_WORDS]
    filters = ["(d.expires_at IS NULL OR d.expires_at > %s)"]
    filter_params: list[Any] = [timezone.now()]
    if public_only:
        filters.append("d.is_public")
    if language:
        filters.append("d.language = %s")
        filter_params.append(language)
    names: list[str] = []  # the tiers so far, as CTE names
    ctes: list[str] = []
    params: list[Any] = []
    for size in range(min(3, len(paired)), 0, -1):
        clauses = [ranking] if size == 1 else [
            f"{word} & ({_at_least(paired[n + 1 :], size - 1)})"
            for n, word in enumerate(paired[: len(paired) - size + 1])
        ]  # fmt: skip
        where = [" OR ".join(["d.search_vector @@ (SELECT %s::tsquery)"] * len(clauses))]
        where += filters
        params += [ranking, *clauses, *filter_params]
        remaining = "%s"
        if names:  # (the names are this function's own: tier3, tier2)
            found = " + ".join(f"(SELECT count(*) FROM {name})" for name in names)  # noqa: S608
            seen = " UNION ALL ".join(f"SELECT article_id FROM {name}" for name in names)  # noqa: S608
            where += [f"{found} < %s", f"d.article_id NOT IN ({seen})"]
            params.append(min(STOP_AFTER, limit))
            remaining = f"%s - ({found})"
        cap = "LIMIT %s" if size == 1 else ""
        params += [RANK_CAP, limit] if size == 1 else [limit]
        names.append(f"tier{size}")
        ctes.append(_TIER.format(
            name=names[-1], size=size, where=" AND ".join(f"({w})" for w in where), cap=cap,
            remaining=remaining,
        ))  # fmt: skip
    union = " UNION ALL ".join(f"SELECT article_id, rank, tier FROM {n}" for n in names)  # noqa: S608
    return f"WITH {', '.join(ctes)} {union} ORDER BY tier DESC, rank DESC, article_id", params


# One tier: its matching rows (only the first `cap` found when capped), ranked by the query's
# words ORed. Only placeholders and fixed SQL fragments are formatted into it.
_TIER = """{name} AS MATERIALIZED (
    SELECT m.article_id, ts_rank(m.search_vector, %s::tsquery, 1) AS rank, {size} AS tier
    FROM (
        SELECT d.article_id, d.search_vector FROM knowledge_searchdocument d
        WHERE {where} {cap}
    ) m
    ORDER BY rank DESC, m.article_id
    LIMIT {remaining}
)"""


def _at_least(words: Sequence[str], count: int) -> str:
    """A tsquery (text) true for rows holding at least `count` of `words`, nested by the
    first word each branch requires: at least 2 of a, b, c is `a & (b | c) | b & (c)`."""
    if count == 1:
        return " | ".join(words)
    return " | ".join(
        f"{word} & ({_at_least(words[n + 1 :], count - 1)})"
        for n, word in enumerate(words[: len(words) - count + 1])
    )


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
