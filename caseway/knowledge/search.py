"""The one search over published articles, for the portal, the bot and agents' suggestions.

Hybrid: a lexical ranking (PostgreSQL full-text search, or BM25 in process elsewhere) and a
semantic one (cosine of packaged wordllama embeddings, best vector per article), fused by
weighted reciprocal rank fusion. The vectors (and the BM25 postings) live in memory per
process as a Snapshot, reloaded when the index's token changes; each search reads the token
(one small query), ranks in numpy, then reads the few documents it returns for snippets.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.utils import timezone

from caseway.knowledge import embeddings
from caseway.knowledge.index import current_token
from caseway.knowledge.lexical import Bm25Index, bm25_document, postgres_ranked
from caseway.knowledge.models import ArticleVector, SearchDocument, article_path
from caseway.knowledge.text import snippet, tokenize

Mode = Literal["hybrid", "lexical", "semantic"]


@dataclass(frozen=True)
class Fusion:
    """Weighted reciprocal rank fusion: score = sum of weight / (k + rank). semantic_floor is
    the cosine below which an article is no semantic match at all (unrelated texts score
    about -0.1 to 0.15 with this model)."""

    k: float
    lexical_weight: float
    semantic_floor: float
    semantic_weight: float = 1.0


# One set per lexical ranker, each the best of a grid on CLINC150's validation split
# (`caseway bench search --tune`; the test split is never used to tune).
FUSION_BM25 = Fusion(k=2, lexical_weight=1.5, semantic_floor=0.3)
FUSION_POSTGRESQL = Fusion(k=2, lexical_weight=0.75, semantic_floor=0.2)
# The least cosine of a strict search's results, whatever the database: on the demo
# knowledge base unrelated subjects scored at most 0.25 against every article and rewordings
# of an article's question 0.39 or more (SQLite's fused floor, tuned on CLINC150, is 0.3).
STRICT_FLOOR = 0.3
# How deep each ranking goes before fusion.
CANDIDATES = 50
NO_EXPIRY = np.float64(np.inf)
# Past this many vectors, a first pass over the leading COARSE_DIMS dimensions of every vector
# (the model is trained Matryoshka-style, so they carry most of the meaning) picks the
# COARSE_ROWS best rows, and only those rows are scored on all dimensions (an article by its
# best chosen row): a full pass over 300,000 x 256 floats reads 300 MB per query.
COARSE_FROM = 50_000
COARSE_DIMS = 64
COARSE_ROWS = 2_000


@dataclass(frozen=True)
class Hit:
    article_id: int
    title: str
    score: float
    snippet: str  # HTML: escaped text with the query words in <mark>
    slug: str = ""

    @property
    def url(self) -> str:
        return article_path(self.article_id, self.slug)


@dataclass(frozen=True)
class Snapshot:
    """The index as one process holds it; arrays are parallel over the indexed articles."""

    token: str
    article_ids: npt.NDArray[np.int64]
    is_public: npt.NDArray[np.bool_]
    languages: npt.NDArray[np.str_]
    expires: npt.NDArray[np.float64]  # POSIX seconds, inf when it never expires
    vectors: npt.NDArray[np.float32]  # one normalised row per title/question/chunk
    vector_starts: npt.NDArray[np.intp]  # first row of each article (rows grouped by article)
    vector_counts: npt.NDArray[np.intp]  # rows of each article
    vector_owner: npt.NDArray[np.intp]  # article position of each row
    coarse: npt.NDArray[np.float32] | None  # leading dimensions, renormalised (large indexes)
    bm25: Bm25Index | None  # None on PostgreSQL (its full-text search ranks)
    language_set: list[str]  # the distinct languages, for PostgreSQL's text-search configs


_snapshot: Snapshot | None = None
_lock = threading.Lock()


def snapshot() -> Snapshot:
    """This process's copy of the index, reloaded when another write changed the token."""
    global _snapshot
    token = current_token()
    if _snapshot is not None and _snapshot.token == token:
        return _snapshot
    with _lock:
        if _snapshot is None or _snapshot.token != token:
            _snapshot = _load(token)
        return _snapshot


def forget_snapshot() -> None:
    """Drop the in-memory copy (tests, and benchmarks timing a cold load)."""
    global _snapshot
    _snapshot = None


def _load(token: str) -> Snapshot:
    in_process_bm25 = connection.vendor != "postgresql"
    fields = ["article_id", "is_public", "language", "expires_at"]
    if in_process_bm25:
        fields += ["title", "questions", "keywords", "body"]
    documents = list(SearchDocument.objects.order_by("article_id").values_list(*fields))
    article_ids = np.asarray([d[0] for d in documents], dtype=np.int64)
    rows = list(
        ArticleVector.objects.order_by("document_id", "pk").values_list("document_id", "vector")
    )
    row_articles = np.asarray([r[0] for r in rows], dtype=np.int64)
    owners = np.searchsorted(article_ids, row_articles)
    vectors = embeddings.from_bytes([bytes(r[1]) for r in rows])
    # A document removed between the two reads leaves rows of no article: drop them.
    keep = np.zeros(len(rows), dtype=bool)
    if len(article_ids):
        keep = (owners < len(article_ids)) & (
            article_ids[np.minimum(owners, len(article_ids) - 1)] == row_articles
        )
    owners, vectors = owners[keep], vectors[keep]
    starts = np.searchsorted(owners, np.arange(len(article_ids)))
    coarse = None
    if len(vectors) >= COARSE_FROM:
        coarse = _normalised(vectors[:, :COARSE_DIMS])
    bm25 = None
    if in_process_bm25:
        bm25 = Bm25Index.build([bm25_document(d[4], d[5], d[6], d[7]) for d in documents])
    return Snapshot(
        token=token,
        article_ids=article_ids,
        is_public=np.asarray([d[1] for d in documents], dtype=bool),
        languages=np.asarray([d[2] for d in documents], dtype=str),
        expires=np.asarray(
            [d[3].timestamp() if d[3] else NO_EXPIRY for d in documents], dtype=np.float64
        ),
        vectors=np.ascontiguousarray(vectors),
        vector_starts=starts.astype(np.intp),
        vector_counts=np.diff(np.append(starts, len(vectors))).astype(np.intp),
        vector_owner=owners.astype(np.intp),
        coarse=coarse,
        language_set=sorted({d[2] for d in documents}),
        bm25=bm25,
    )


def search(
    query: str,
    *,
    limit: int = 10,
    public_only: bool = True,
    language: str | None = None,
    mode: Mode = "hybrid",
    strict: bool = False,
) -> list[Hit]:
    """The best published articles for `query`, best first, at most `limit`.

    `public_only` leaves out internal articles (customers, the bot); agents pass False.
    `mode` ranks by one method alone (benchmarks compare them). `strict` keeps only articles
    whose meaning is close to the query (a semantic match above the floor): suggestions made
    unasked (the new case form, related articles, the agent's panel) would rather show
    nothing than an article that only shares a common word with it.
    """
    query = query.strip()
    if not query or limit < 1:
        return []
    ranked = rank(
        query, limit=limit, public_only=public_only, language=language, mode=mode, strict=strict
    )
    return _hits(query, ranked)


def rank(
    query: str,
    *,
    limit: int,
    public_only: bool,
    language: str | None,
    mode: Mode = "hybrid",
    strict: bool = False,
) -> list[tuple[int, float]]:
    """(article_id, score) best first, without reading any document (see `search`)."""
    if strict and mode == "lexical":
        mode = "hybrid"  # closeness of meaning is what strict keeps
    lexical, semantic = candidates(
        query,
        depth=max(CANDIDATES, limit),
        public_only=public_only,
        language=language,
        mode=mode,
        floor=max(fusion().semantic_floor, STRICT_FLOOR) if strict else None,
    )
    if strict:
        close = {article_id for article_id, _cosine in semantic}
        lexical = [article_id for article_id in lexical if article_id in close]
    if mode == "lexical":
        return [(article_id, 1.0 / (n + 1)) for n, article_id in enumerate(lexical[:limit])]
    if mode == "semantic":
        return semantic[:limit]
    constants = fusion()
    return fuse(
        lexical,
        [article_id for article_id, _ in semantic],
        k=constants.k,
        lexical_weight=constants.lexical_weight,
        semantic_weight=constants.semantic_weight,
    )[:limit]


def fusion() -> Fusion:
    """The fusion constants of the lexical ranker this database uses."""
    return FUSION_POSTGRESQL if connection.vendor == "postgresql" else FUSION_BM25


def candidates(
    query: str,
    *,
    depth: int,
    public_only: bool,
    language: str | None,
    mode: Mode = "hybrid",
    floor: float | None = None,
) -> tuple[list[int], list[tuple[int, float]]]:
    """The lexical ranking (article ids) and the semantic one ((id, cosine) of at least
    `floor`), `depth` deep."""
    if floor is None:
        floor = fusion().semantic_floor
    early = _snapshot
    if mode == "hybrid" and early is not None and early.bm25 is None:
        # PostgreSQL ranks the words while numpy ranks the vectors in another thread (both
        # let go of the GIL): a hybrid search takes about as long as the slower of the two.
        # The vectors are ranked on the snapshot held while the token is read; should the
        # token have changed, that ranking is dropped and done again on the new snapshot.
        allowed = _allowed(early, public_only=public_only, language=language)
        pending = _pool().submit(_semantic, early, query, depth, allowed, floor)
        state = snapshot()
        if state is early:
            return _lexical(state, query, depth, allowed, public_only, language), pending.result()
        pending.result()
    state = snapshot()
    allowed = _allowed(state, public_only=public_only, language=language)
    lexical: list[int] = []
    semantic: list[tuple[int, float]] = []
    if mode == "hybrid" and state.bm25 is None:
        pending = _pool().submit(_semantic, state, query, depth, allowed, floor)
        lexical = _lexical(state, query, depth, allowed, public_only, language)
        return lexical, pending.result()
    if mode in ("hybrid", "lexical"):
        lexical = _lexical(state, query, depth, allowed, public_only, language)
    if mode in ("hybrid", "semantic"):
        semantic = _semantic(state, query, depth, allowed, floor)
    return lexical, semantic


_executor: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The threads semantic ranking runs in beside PostgreSQL's lexical query."""
    global _executor
    if _executor is None:
        with _pool_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kb-semantic")
    return _executor


def fuse(
    lexical: list[int],
    semantic: list[int],
    *,
    k: float,
    lexical_weight: float,
    semantic_weight: float = 1.0,
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank), best first."""
    fused: dict[int, float] = {}
    for n, article_id in enumerate(lexical):
        fused[article_id] = fused.get(article_id, 0.0) + lexical_weight / (k + n + 1)
    for n, article_id in enumerate(semantic):
        fused[article_id] = fused.get(article_id, 0.0) + semantic_weight / (k + n + 1)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _allowed(state: Snapshot, *, public_only: bool, language: str | None) -> npt.NDArray[np.bool_]:
    allowed: npt.NDArray[np.bool_] = state.expires > timezone.now().timestamp()
    if public_only:
        allowed &= state.is_public
    if language:
        allowed &= state.languages == language
    return allowed


def _top(scores: npt.NDArray[np.floating], count: int) -> npt.NDArray[np.intp]:
    """Positions of the `count` highest scores, best first."""
    if len(scores) > count:
        top = np.argpartition(-scores, count - 1)[:count]
    else:
        top = np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]


def _lexical(state: Snapshot, query: str, depth: int, allowed: npt.NDArray[np.bool_],
             public_only: bool, language: str | None) -> list[int]:  # fmt: skip
    if state.bm25 is None:
        ranked = postgres_ranked(
            query,
            limit=depth,
            public_only=public_only,
            language=language,
            languages=state.language_set,
        )
        return [article_id for article_id, _rank in ranked]
    scores = np.where(allowed, state.bm25.scores(query), 0.0)
    top = [int(p) for p in _top(scores, depth) if scores[p] > 0]
    return [int(state.article_ids[p]) for p in top]


def _semantic(state: Snapshot, query: str, depth: int, allowed: npt.NDArray[np.bool_],
              floor: float) -> list[tuple[int, float]]:  # fmt: skip
    """Articles by their best-matching vector (title, alternate question or body chunk)."""
    if not len(state.vectors) or not allowed.any():
        return []
    query_vector = embeddings.embed([query])[0]
    counts = state.vector_counts
    if state.coarse is None:
        # Every row: one pass over the matrix, then the best row of each article.
        similarities = _dot(state.vectors, query_vector)
        positions = np.flatnonzero(counts > 0)
        offsets = state.vector_starts[positions]
    else:
        # The rows the coarse pass chose, on every dimension; an article scores its best row
        # among them (the rows are grouped by article, so sorted rows are too).
        rows = _coarse_rows(state, query_vector, allowed)
        if not len(rows):
            return []
        owners = state.vector_owner[rows]
        offsets = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
        positions = owners[offsets]
        similarities = _dot(state.vectors[rows], query_vector)
    best = np.maximum.reduceat(similarities, offsets)
    best = np.where(allowed[positions], best, -np.inf)
    top = [int(n) for n in _top(best, depth) if best[n] >= floor]
    return [(int(state.article_ids[positions[n]]), float(best[n])) for n in top]


def _dot(matrix: npt.NDArray[np.float32], vector: npt.NDArray[np.float32]
         ) -> npt.NDArray[np.float32]:  # fmt: skip
    """matrix @ vector in numpy's own single-threaded loops: on a busy machine a BLAS spreading
    one matrix-vector product over threads waits for cores and is slower, not faster."""
    return np.einsum("ij,j->i", matrix, vector)  # type: ignore[no-any-return]


def _coarse_rows(state: Snapshot, query_vector: npt.NDArray[np.float32],
                 allowed: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:  # fmt: skip
    """The COARSE_ROWS rows nearest the query on the leading dimensions, in row order."""
    assert state.coarse is not None
    scores = _dot(state.coarse, _normalised(query_vector[:COARSE_DIMS]))
    if not allowed.all():
        scores[~allowed[state.vector_owner]] = -np.inf
    if len(scores) > COARSE_ROWS:
        rows = np.argpartition(scores, len(scores) - COARSE_ROWS)[-COARSE_ROWS:]
    else:
        rows = np.arange(len(scores))
    rows = np.sort(rows[np.isfinite(scores[rows])])
    return rows


def _normalised(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.ascontiguousarray(matrix / np.where(norms == 0, 1, norms), dtype=np.float32)


def _hits(query: str, ranked: list[tuple[int, float]]) -> list[Hit]:
    documents = SearchDocument.objects.in_bulk([article_id for article_id, _ in ranked])
    hits = []
    for article_id, score in ranked:
        document = documents.get(article_id)
        if document is None:  # unpublished since the snapshot was taken
            continue
        text = _snippet_source(query, document)
        hits.append(
            Hit(
                article_id=article_id,
                title=document.title,
                score=round(score, 6),
                snippet=snippet(text, query),
                slug=document.slug,
            )
        )
    return hits


def _snippet_source(query: str, document: SearchDocument) -> str:
    """The body, unless only the alternate questions hold the words asked for."""
    wanted = set(tokenize(query))
    if document.body and (not wanted or wanted & set(tokenize(document.body))):
        return document.body
    if wanted & set(tokenize(document.questions)):
        return document.questions
    return document.body or document.questions
