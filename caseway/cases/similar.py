"""Similar resolved cases: each resolved case's subject and first customer message embedded
with the knowledge base's packaged model (knowledge.embeddings), compared in process by
cosine similarity. The matrix of resolved cases is cached per process and reloaded when a
case is indexed (the newest `updated_at` and the count change)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Max

from caseway.cases.articles import first_question
from caseway.cases.models import Case, CaseEmbedding, CaseStatus
from caseway.cases.queries import cases_visible_to
from caseway.knowledge import embeddings

# Below this cosine two cases are not alike. Measured on the 40 demo templates (3 filled-in
# emails and the SMS wording of each, 160 texts): 95 % of pairs about the same problem score
# 0.45 or more, 0.4 % of pairs about different problems do (median 0.77 and 0.08).
SIMILAR_FLOOR = 0.45
# The newest resolved cases compared against (older ones are rarely the best example).
HORIZON = 100_000
TEXT_CHARS = 1_000


def case_text(case: Case) -> str:
    return f"{case.subject}\n{first_question(case)}"[:TEXT_CHARS].strip()


def index_cases(case_ids: Iterable[int]) -> int:
    """Embed these resolved cases (again if their text changed); return how many were written."""
    cases = list(Case.objects.filter(pk__in=list(case_ids), status=CaseStatus.RESOLVED))
    if not cases:
        return 0
    texts = [case_text(case) for case in cases]
    hashes = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    known = dict(CaseEmbedding.objects.filter(case__in=cases).values_list("case_id", "text_hash"))
    todo = [
        (case, text, digest)
        for case, text, digest in zip(cases, texts, hashes, strict=True)
        if known.get(case.pk) != digest and text
    ]
    if not todo:
        return 0
    vectors = embeddings.embed([text for _case, text, _digest in todo])
    for (case, _text, digest), vector in zip(todo, vectors, strict=True):
        CaseEmbedding.objects.update_or_create(
            case=case, defaults={"vector": embeddings.to_bytes(vector), "text_hash": digest}
        )
    return len(todo)


def index_all_resolved(*, batch: int = 500) -> int:
    """Embed every resolved case that has no (current) vector; for the demo and backfills."""
    written = 0
    missing = Case.objects.filter(status=CaseStatus.RESOLVED, embedding__isnull=True)
    ids = list(missing.order_by("-resolved_at", "-pk").values_list("pk", flat=True)[:HORIZON])
    for start in range(0, len(ids), batch):
        written += index_cases(ids[start : start + batch])
    return written


@dataclass(frozen=True)
class _Matrix:
    key: tuple[int, datetime | None]
    case_ids: np.ndarray
    vectors: np.ndarray


_cached: _Matrix | None = None
_lock = threading.Lock()


def _matrix() -> _Matrix:
    global _cached
    state = CaseEmbedding.objects.aggregate(n=Count("pk"), newest=Max("updated_at"))
    key = (state["n"], state["newest"])
    cached = _cached
    if cached is not None and cached.key == key:
        return cached
    rows = list(
        CaseEmbedding.objects.order_by("-updated_at").values_list("case_id", "vector")[:HORIZON]
    )
    matrix = _Matrix(
        key=key,
        case_ids=np.array([case_id for case_id, _v in rows], dtype=np.int64),
        vectors=embeddings.from_bytes([bytes(vector) for _c, vector in rows]),
    )
    with _lock:
        _cached = matrix
    return matrix


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    similarity: float


def similar_resolved(
    case: Case, *, user: AbstractBaseUser, limit: int = 5, text: str | None = None
) -> list[SimilarCase]:
    """Resolved cases the user may see that are most like this one, most alike first.
    `text` is case_text(case) when the caller has it already."""
    text = case_text(case) if text is None else text
    matrix = _matrix()
    if not text or not len(matrix.case_ids):
        return []
    scores = matrix.vectors @ embeddings.embed([text])[0]
    order = np.argsort(-scores)[: limit * 4 + 1]
    wanted = [
        (int(matrix.case_ids[i]), float(scores[i]))
        for i in order
        if scores[i] >= SIMILAR_FLOOR and int(matrix.case_ids[i]) != case.pk
    ]
    visible = cases_visible_to(user).filter(pk__in=[case_id for case_id, _s in wanted])
    by_id = {c.pk: c for c in visible.select_related("owner")}
    return [
        SimilarCase(by_id[case_id], round(score, 3))
        for case_id, score in wanted
        if case_id in by_id
    ][:limit]
