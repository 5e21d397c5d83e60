"""How sure the bot is that the search's best article answers the question.

The evidence is what the one search found, re-read from the index the search used: for the
first hit, its best cosine with the question over its vectors (title, alternate questions,
body chunks) and the mean of its best three; the same for the second hit; the best cosine of
any other hit (up to five); and the fused rank scores of the first two. A logistic model turns
it into a probability that the first article is the right answer; the bot answers only from
`confidence_threshold()` up.

The weights and the threshold were measured on CLINC150's validation split (`val` in-scope
plus `oos_val` out-of-scope questions, one article per intent), never on its test split, one
calibration per lexical ranker (SQLite's BM25, PostgreSQL's full-text search):
`caseway bench bot --tune` fits them again and prints them (see bench/bot.py).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connection

from caseway.knowledge.search import Hit, Snapshot, fusion


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over Evidence.features() and the threshold on the result."""

    weights: tuple[float, ...]
    bias: float
    threshold: float


# One calibration per lexical ranker (the fused scores differ), each fitted by
# `caseway bench bot --tune` on the validation split. The threshold answers the most
# questions there while answered precision stays >= 97% and at most 7% of out-of-scope
# questions get an answer: margins under the 95% / 10% targets, as oos_val holds only 100.
CALIBRATION_BM25 = Calibration(
    weights=(-11.808, 7.323, 17.931, -0.426, 3.737, 1.08), bias=-6.533, threshold=0.86
)
CALIBRATION_POSTGRESQL = Calibration(
    weights=(-9.376, 5.771, 15.06, 2.52, 5.276, 1.334), bias=-8.302, threshold=0.85
)
SETTING = "ASSIST_CONFIDENCE_THRESHOLD"
# The cosine a missing article counts as (unrelated texts score about 0 to 0.15).
NO_SECOND = 0.0
# How many of an article's best vectors make its mean similarity.
TOP_ROWS = 3


@dataclass(frozen=True)
class Evidence:
    """What the search found for one question. Similarities are cosines in [-1, 1] between
    the question and an article's vectors (title, alternate questions, body chunks): its best
    one, and the mean of its best TOP_ROWS (an article many ways of asking agree on). Fused
    scores are shares of the best fused rank score possible (first in both rankings)."""

    best_similarity: float
    best_mean: float
    second_similarity: float
    second_mean: float
    rival_similarity: float  # the best similarity of any other hit
    best_fused: float
    second_fused: float

    def features(self) -> tuple[float, ...]:
        return (
            self.best_similarity,
            self.best_similarity - self.rival_similarity,
            self.best_mean,
            self.best_mean - self.second_mean,
            self.best_fused,
            self.best_fused - self.second_fused,
        )


def confidence_threshold() -> float:
    """The setting ASSIST_CONFIDENCE_THRESHOLD (or the environment variable of that name), else
    the threshold measured for this database's lexical ranker."""
    configured = getattr(settings, SETTING, None)
    if configured is None:
        configured = os.environ.get(SETTING) or None
    return float(configured) if configured is not None else calibration().threshold


def gather_evidence(
    *, hits: Sequence[Hit], query_vector: npt.NDArray[np.float32], index: Snapshot
) -> Evidence:
    """The evidence for the hits of one search, best first (zeros where a hit is missing)."""
    fusion_ = fusion()
    best_possible = (fusion_.lexical_weight + fusion_.semantic_weight) / (fusion_.k + 1)
    similarities = [_similarities(index, hit.article_id, query_vector) for hit in hits]
    tops = [float(s[0]) if len(s) else NO_SECOND for s in similarities]
    means = [float(np.mean(s[:TOP_ROWS])) if len(s) else NO_SECOND for s in similarities]
    fused = [hit.score / best_possible for hit in hits[:2]]
    tops += [NO_SECOND] * (2 - len(tops))
    means += [NO_SECOND] * (2 - len(means))
    fused += [0.0] * (2 - len(fused))
    return Evidence(
        best_similarity=tops[0],
        best_mean=means[0],
        second_similarity=tops[1],
        second_mean=means[1],
        rival_similarity=max(tops[1:]),
        best_fused=fused[0],
        second_fused=fused[1],
    )


def confidence(evidence: Evidence) -> float:
    """The probability (0 to 1) that the first article answers the question."""
    chosen = calibration()
    return score(evidence.features(), weights=chosen.weights, bias=chosen.bias)


def calibration() -> Calibration:
    """The calibration of the lexical ranker this database uses (see search.fusion)."""
    return CALIBRATION_POSTGRESQL if connection.vendor == "postgresql" else CALIBRATION_BM25


def score(features: Sequence[float], *, weights: Sequence[float], bias: float) -> float:
    z = bias + sum(w * x for w, x in zip(weights, features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def _similarities(index: Snapshot, article_id: int, query_vector: npt.NDArray[np.float32]
                  ) -> npt.NDArray[np.float32]:  # fmt: skip
    """The cosines of the article's vectors with the question, highest first (none for an
    article unpublished since the search read the index)."""
    position = int(np.searchsorted(index.article_ids, article_id))
    if position >= len(index.article_ids) or index.article_ids[position] != article_id:
        return np.zeros(0, dtype=np.float32)
    start = int(index.vector_starts[position])
    count = int(index.vector_counts[position])
    similarities = index.vectors[start : start + count] @ query_vector
    return -np.sort(-similarities)


def fit_logistic(
    features: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    sample_weights: npt.NDArray[np.float64],
    *,
    l2: float = 1e-3,
    steps: int = 50,
) -> tuple[tuple[float, ...], float]:
    """Weighted logistic regression by Newton's method (a few features, a few thousand rows):
    the weights and the bias."""
    x = np.hstack([features, np.ones((len(features), 1))])
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -60, 60)))
        gradient = x.T @ (sample_weights * (p - labels)) + penalty * beta
        hessian = (x * (sample_weights * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]  # singular when separable
        beta -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    return tuple(round(float(b), 3) for b in beta[:-1]), round(float(beta[-1]), 3)
