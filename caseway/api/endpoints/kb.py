"""Knowledge-base search for anyone: the public, published articles that best answer a query.

No sign-in: the portal's visitors, kiosks and the mobile app search before they have an
account. The ranking is caseway.knowledge.search's, the same the bot and agents use.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from caseway.api.schemas import ValidationErrorOut
from caseway.knowledge.search import search

router = Router(tags=["knowledge base"])


class KbSearchIn(Schema):
    q: str = Field(min_length=1, max_length=500, description="What the reader asks")
    limit: int = Field(10, ge=1, le=50)
    language: str | None = Field(None, max_length=12, description="Only articles in it")


class KbHitOut(Schema):
    id: int
    title: str
    score: float = Field(description="Fused rank score: higher is better; compare within one "
                         "response only")  # fmt: skip
    snippet: str = Field(description="HTML: escaped text with the query words in <mark>")
    url: str


@router.get(
    "/search",
    auth=None,
    response={200: list[KbHitOut], 422: ValidationErrorOut},
    summary="Search the public knowledge base",
)
def search_articles(request: HttpRequest, params: Query[KbSearchIn]) -> list[KbHitOut]:
    """Published public articles, best first."""
    hits = search(params.q, limit=params.limit, public_only=True, language=params.language)
    return [
        KbHitOut(
            id=hit.article_id,
            title=hit.title,
            score=hit.score,
            snippet=hit.snippet,
            url=request.build_absolute_uri(hit.url),
        )
        for hit in hits
    ]
