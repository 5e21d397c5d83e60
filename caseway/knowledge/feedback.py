"""Recording what readers do with articles (signals_models.py), and reading it back.

A visitor is the hash of their session, never the session key itself. Every recorder is one
INSERT; none of them may fail the page that calls it (they are plain writes with no checks
that could raise on a reader's input beyond the lengths cut here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Q
from django.utils import timezone

from caseway.knowledge.models import Article
from caseway.knowledge.signals_models import ArticleFeedback, ArticleView, SearchLog, Source

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A view from the new case form's suggestions that no case followed within this long counts
# as a deflection: the customer found their answer.
DEFLECTION_WINDOW = timedelta(minutes=30)
MAX_COMMENT = 2000


def visitor_of(session_key: str | None) -> str:
    """A stable, anonymous id for a browser session."""
    if not session_key:
        return ""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def _user(user: Any) -> User | None:
    """The signed-in user of a request (None for anonymous visitors)."""
    return cast("User", user) if user is not None and user.is_authenticated else None


def record_search(*, query: str, source: str, hits: list[int]) -> SearchLog:
    """One search and the ids it found, best first (an empty list: nothing found)."""
    return SearchLog.objects.create(
        query=query.strip()[:300],
        source=source,
        results=len(hits),
        top_article_id=hits[0] if hits else None,
    )


def record_view(*, article: Article, source: str, visitor: str, user: Any = None) -> ArticleView:
    if source not in Source.values:
        source = Source.DIRECT
    return ArticleView.objects.create(
        article=article, source=source, visitor=visitor, user=_user(user)
    )


def record_feedback(
    *,
    article: Article,
    helpful: bool,
    comment: str = "",
    visitor: str = "",
    user: Any = None,
) -> ArticleFeedback:
    return ArticleFeedback.objects.create(
        article=article,
        helpful=helpful,
        comment=comment.strip()[:MAX_COMMENT],
        visitor=visitor,
        user=_user(user),
    )


def note_case_opened(*, visitor: str, now: datetime | None = None) -> int:
    """The visitor opened a case: the suggested articles they read in the window before did
    not deflect it. Return how many views that marks."""
    if not visitor:
        return 0
    now = now or timezone.now()
    return ArticleView.objects.filter(
        visitor=visitor,
        source=Source.SUGGESTION,
        led_to_case=False,
        created_at__gte=now - DEFLECTION_WINDOW,
    ).update(led_to_case=True)


@dataclass(frozen=True)
class ArticleSignals:
    views: int
    helpful: int
    not_helpful: int


def signals_of(article: Article) -> ArticleSignals:
    """Views and votes of one article (for its authors)."""
    votes = ArticleFeedback.objects.filter(article=article).aggregate(
        helpful=Count("pk", filter=Q(helpful=True)),
        not_helpful=Count("pk", filter=Q(helpful=False)),
    )
    return ArticleSignals(
        views=ArticleView.objects.filter(article=article).count(),
        helpful=votes["helpful"],
        not_helpful=votes["not_helpful"],
    )


@dataclass(frozen=True)
class Deflection:
    suggested_views: int  # views from the new case form's suggestions, past the window
    deflected: int  # of them, those no case followed

    @property
    def rate(self) -> float:
        return self.deflected / self.suggested_views if self.suggested_views else 0.0


def deflection(*, since: datetime, now: datetime | None = None) -> Deflection:
    """Deflection over views of suggested articles since `since` (only views whose window has
    passed count: a newer one may still lead to a case)."""
    now = now or timezone.now()
    counts = ArticleView.objects.filter(
        source=Source.SUGGESTION, created_at__gte=since, created_at__lt=now - DEFLECTION_WINDOW
    ).aggregate(total=Count("pk"), deflected=Count("pk", filter=Q(led_to_case=False)))
    return Deflection(suggested_views=counts["total"], deflected=counts["deflected"])


def searches_without_results(*, since: datetime, limit: int = 50) -> list[tuple[str, int]]:
    """The queries that found nothing most often since `since`: what the KB is missing."""
    rows = (
        SearchLog.objects.filter(results=0, created_at__gte=since)
        .values("query")
        .annotate(n=Count("pk"))
        .order_by("-n", "query")[:limit]
    )
    return [(row["query"], row["n"]) for row in rows]
