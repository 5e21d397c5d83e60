"""How a public post is judged: VADER's compound sentiment and the watch list.

VADER (vaderSentiment, its lexicon ships in the package) scores a text from -1 (most
negative) to +1. A post is negative at or below LISTENING_NEGATIVE_THRESHOLD, a threshold
chosen on human-labelled tweets (bench/listening.py, docs/channels/social.md); positive at or
above +0.05, VADER's own cut; neutral between. Scoring touches no database; the watch list
is compiled once per change of the WatchWord table.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from caseway.listening.models import PostSentiment, WatchWord, WatchWordKind

POSITIVE_AT = 0.05


@dataclass(frozen=True)
class Reading:
    """What listening made of one post."""

    score: float
    sentiment: str
    complaint_words: tuple[str, ...]
    products: tuple[str, ...]

    @property
    def is_negative(self) -> bool:
        return self.sentiment == PostSentiment.NEGATIVE

    @property
    def is_complaint(self) -> bool:
        return bool(self.complaint_words)

    @property
    def opens_case(self) -> bool:
        return self.is_negative or self.is_complaint

    def as_data(self) -> dict[str, Any]:
        return {
            "sentiment": self.sentiment,
            "score": round(self.score, 4),
            "complaint_words": list(self.complaint_words),
            "products": list(self.products),
        }


@dataclass(frozen=True)
class WatchList:
    complaint: re.Pattern[str] | None
    product: re.Pattern[str] | None
    spelling: dict[str, str]  # lower-cased phrase -> the phrase as the admin wrote it


@cache
def analyzer() -> SentimentIntensityAnalyzer:
    """VADER, loaded once per process (reading its lexicon takes about 0.1 s)."""
    return SentimentIntensityAnalyzer()


def polarity(text: str) -> float:
    """VADER's compound score of a text, in [-1, 1]."""
    return float(analyzer().polarity_scores(text)["compound"])


def sentiment_of(score: float, *, threshold: float | None = None) -> str:
    cut = settings.CASEWAY_LISTENING_NEGATIVE_THRESHOLD if threshold is None else threshold
    if score <= cut:
        return PostSentiment.NEGATIVE
    if score >= POSITIVE_AT:
        return PostSentiment.POSITIVE
    return PostSentiment.NEUTRAL


def compile_phrases(phrases: list[str]) -> re.Pattern[str] | None:
    words = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE)


_cache: dict[tuple[Any, ...], WatchList] = {}
_lock = threading.Lock()


def current_watch_list() -> WatchList:
    """The active watch words, compiled; one aggregate query tells whether they changed."""
    state = WatchWord.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    key = (state["n"], state["at"])
    found = _cache.get(key)
    if found is not None:
        return found
    rows = list(WatchWord.objects.filter(is_active=True).values_list("phrase", "kind"))
    watch = WatchList(
        complaint=compile_phrases([p for p, k in rows if k == WatchWordKind.COMPLAINT]),
        product=compile_phrases([p for p, k in rows if k == WatchWordKind.PRODUCT]),
        spelling={" ".join(p.lower().split()): p for p, _k in rows},
    )
    with _lock:
        _cache.clear()
        _cache[key] = watch
    return watch


def _found(pattern: re.Pattern[str] | None, text: str, spelling: dict[str, str]) -> tuple[str, ...]:
    if pattern is None:
        return ()
    seen: dict[str, None] = {}
    for match in pattern.finditer(text):
        phrase = " ".join(match.group(0).lower().split())
        seen.setdefault(spelling.get(phrase, phrase), None)
    return tuple(seen)


def read_post(text: str, *, watch: WatchList | None = None) -> Reading:
    """Score a post's text and find the watch words in it."""
    watch = watch or current_watch_list()
    score = polarity(text)
    return Reading(
        score=score,
        sentiment=sentiment_of(score),
        complaint_words=_found(watch.complaint, text, watch.spelling),
        products=_found(watch.product, text, watch.spelling),
    )
