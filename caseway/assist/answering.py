"""The bot's decision for one question, without writing anything: the best passage of the
best public article and how sure it is, or "I don't know" and an offer of a person."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from caseway.assist.confidence import (
    Evidence,
    confidence,
    confidence_threshold,
    gather_evidence,
)
from caseway.assist.passages import best_passage
from caseway.knowledge import embeddings
from caseway.knowledge.models import article_path
from caseway.knowledge.queries import published_articles
from caseway.knowledge.search import Hit, search, snapshot

# The confidence weighs the first article against the next ones.
HITS = 5


@dataclass(frozen=True)
class Reply:
    """What the bot says. With `handoff` the text is our own "I don't know" and there is no
    article; otherwise `answer` is a verbatim passage of the article at `url`."""

    answer: str
    article_id: int | None
    title: str
    url: str
    confidence: float
    handoff: bool
    evidence: Evidence | None = None
    found: tuple[int, ...] = ()  # the articles the search found, best first


def dont_know(
    *, score: float = 0.0, evidence: Evidence | None = None, found: tuple[int, ...] = ()
) -> Reply:
    return Reply(
        answer=gettext(
            "I don't know the answer to that. Would you like to ask a person? They will see "
            "this conversation."
        ),
        article_id=None,
        title="",
        url="",
        confidence=round(score, 4),
        handoff=True,
        evidence=evidence,
        found=found,
    )


@dataclass(frozen=True)
class Finding:
    """What the search found for a question and how sure the bot is of its first hit."""

    hits: list[Hit]
    evidence: Evidence | None
    confidence: float
    query_vector: embeddings.Matrix | None


def find(question: str, *, language: str | None = None) -> Finding:
    """Search published public articles and weigh the evidence (reads only)."""
    hits = search(question, limit=HITS, public_only=True, language=language)
    if not hits:
        return Finding(hits=[], evidence=None, confidence=0.0, query_vector=None)
    query_vector = embeddings.embed([question])[0]
    evidence = gather_evidence(hits=hits, query_vector=query_vector, index=snapshot())
    return Finding(
        hits=hits, evidence=evidence, confidence=confidence(evidence), query_vector=query_vector
    )


def answer_question(question: str, *, language: str | None = None) -> Reply:
    """The bot's reply to `question` from published public articles only."""
    finding = find(question.strip(), language=language)
    score, evidence = finding.confidence, finding.evidence
    found = tuple(hit.article_id for hit in finding.hits)
    if finding.query_vector is None or score < confidence_threshold():
        return dont_know(score=score, evidence=evidence, found=found)
    best = finding.hits[0]
    article = (
        published_articles(public_only=True)
        .filter(pk=best.article_id)
        .values("pk", "title", "slug", "summary", "body_text")
        .first()
    )
    if article is None:  # unpublished since the search read the index
        return dont_know(score=score, evidence=evidence, found=found)
    text = article["body_text"] or article["summary"] or article["title"]
    passage = best_passage(article_id=article["pk"], text=text, query_vector=finding.query_vector)
    return Reply(
        answer=passage.text if passage is not None else article["title"],
        article_id=article["pk"],
        title=article["title"],
        url=article_path(article["pk"], article["slug"]),
        confidence=round(score, 4),
        handoff=False,
        evidence=evidence,
        found=found,
    )
