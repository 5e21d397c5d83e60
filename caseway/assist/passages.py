"""Passages of an article's plain text, and the one closest to a question.

A passage is always a slice of the article's text (never rewritten, never joined from parts
that were apart), so the bot only ever says what an author wrote. Short paragraphs are one
passage; a long one is cut at sentence ends into runs of at most PASSAGE_WORDS words.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from caseway.knowledge import embeddings

PASSAGE_WORDS = 60
# A sentence ends at . ! or ? (closing quotes or brackets included) before a space.
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s)")
# Passage vectors of recently answered articles, keyed by article id and text.
CACHE_SIZE = 512


@dataclass(frozen=True)
class Passage:
    text: str
    similarity: float


def split_passages(text: str, *, max_words: int = PASSAGE_WORDS) -> list[str]:
    """Slices of `text`: one per short paragraph, sentence runs for long ones."""
    passages: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph.split()) <= max_words:
            passages.append(paragraph)
            continue
        passages.extend(_sentence_runs(paragraph, max_words))
    return passages


def _sentence_runs(paragraph: str, max_words: int) -> list[str]:
    """Consecutive sentences of one paragraph, as few slices as fit in `max_words` each (a
    single sentence longer than that stays whole)."""
    bounds = [m.end() for m in SENTENCE_END.finditer(paragraph)]
    if not bounds or bounds[-1] != len(paragraph):
        bounds.append(len(paragraph))
    runs: list[str] = []
    start = 0
    end = 0
    words = 0
    for bound in bounds:
        sentence_words = len(paragraph[end:bound].split())
        if words and words + sentence_words > max_words:
            runs.append(paragraph[start:end].strip())
            start, words = end, 0
        words += sentence_words
        end = bound
    if paragraph[start:end].strip():
        runs.append(paragraph[start:end].strip())
    return runs


class _VectorCache:
    """A small LRU of passage vectors per (article id, text): answering the same article
    again embeds nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[int, str], tuple[list[str], embeddings.Matrix]] = (
            OrderedDict()
        )
        self.lock = threading.Lock()

    def get(self, article_id: int, text: str) -> tuple[list[str], embeddings.Matrix]:
        key = (article_id, text)
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        passages = split_passages(text)
        value = (passages, embeddings.embed(passages))
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_cache = _VectorCache(CACHE_SIZE)


def best_passage(*, article_id: int, text: str, query_vector: embeddings.Matrix) -> Passage | None:
    """The passage of `text` whose embedding is closest to the question's (None for no text)."""
    passages, vectors = _cache.get(article_id, text)
    if not passages:
        return None
    similarities = vectors @ query_vector
    best = int(np.argmax(similarities))
    return Passage(text=passages[best], similarity=float(similarities[best]))
