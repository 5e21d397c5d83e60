"""The help center: browse by category, search, read an article, say whether it helped; and
the suggestions the new case form shows while the customer types a subject.

Every search here goes through knowledge.search.search(), the one the bot and the agents'
suggestions use. Customers see published public articles only.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from caseway.core.downloads import file_download
from caseway.knowledge.feedback import (
    record_feedback,
    record_search,
    record_view,
    visitor_of,
)
from caseway.knowledge.models import Article, Category
from caseway.knowledge.queries import published_articles
from caseway.knowledge.search import Hit, search
from caseway.knowledge.signals_models import Source

RESULTS = 20
SUGGESTIONS = 5
RELATED = 4
MAX_QUERY = 200
# The new case form asks for suggestions once the subject has this many characters.
SUGGEST_FROM = 4


def _visitor(request: HttpRequest) -> str:
    """The session's anonymous id; a session is made for visitors who have none yet."""
    if request.session.session_key is None:
        request.session.save()
    return visitor_of(request.session.session_key)


def _hits(query: str, *, limit: int, source: str, strict: bool = False) -> list[dict[str, object]]:
    found: list[Hit] = search(query, limit=limit, public_only=True, strict=strict)
    record_search(query=query, source=source, hits=[hit.article_id for hit in found])
    return [
        {
            "id": hit.article_id,
            "title": hit.title,
            "slug": hit.slug,
            # knowledge.text.snippet escapes the article's text and adds only <mark>.
            "snippet": mark_safe(hit.snippet),  # noqa: S308
        }
        for hit in found
    ]


@require_GET
def kb_home(request: HttpRequest) -> HttpResponse:
    published = published_articles(public_only=True)
    categories = (
        Category.objects.annotate(
            published=Count("articles", filter=Q(articles__in=published), distinct=True)
        )
        .filter(published__gt=0)
        .order_by("position", "name")
    )
    recent = published.order_by("-published_at", "-pk")[:6]
    return render(request, "portal/kb_home.html", {"categories": categories, "recent": recent})


@require_GET
def kb_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    hits = _hits(query, limit=RESULTS, source=Source.PORTAL) if query else []
    return render(request, "portal/kb_search.html", {"query": query, "hits": hits})


@require_GET
def kb_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    articles = published_articles(public_only=True).filter(category=category).order_by("title")
    return render(request, "portal/kb_category.html", {"category": category, "articles": articles})


def _published(article_id: int) -> Article:
    article = (
        published_articles(public_only=True)
        .select_related("category")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise Http404("No such article")
    return article


@require_GET
def kb_article(request: HttpRequest, article_id: int, slug: str) -> HttpResponse:
    article = _published(article_id)
    if slug != article.slug:
        return redirect("portal:kb_article", article.pk, article.slug, permanent=True)
    source = request.GET.get("from", Source.DIRECT)
    record_view(article=article, source=source, visitor=_visitor(request), user=request.user)
    related = [
        hit
        for hit in search(article.title, limit=RELATED + 1, public_only=True, strict=True)
        if hit.article_id != article.pk
    ][:RELATED]
    return render(
        request,
        "portal/kb_article.html",
        {
            "article": article,
            "related": related,
            "voted": request.GET.get("voted") == "1",
        },
    )


@require_POST
def kb_feedback(request: HttpRequest, article_id: int) -> HttpResponse:
    """A vote on an article, with an optional comment; back to the article, thanked."""
    article = _published(article_id)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return redirect("portal:kb_article", article.pk, article.slug)
    record_feedback(
        article=article,
        helpful=helpful == "yes",
        comment=request.POST.get("comment", ""),
        visitor=_visitor(request),
        user=request.user,
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/_kb_thanks.html", {"article": article})
    url = reverse("portal:kb_article", args=[article.pk, article.slug])
    return redirect(f"{url}?voted=1#feedback")


@require_GET
def kb_suggest(request: HttpRequest) -> HttpResponse:
    """Articles for what the customer is typing on the new case form (htmx fragment)."""
    query = request.GET.get("subject", request.GET.get("q", "")).strip()[:MAX_QUERY]
    hits = (
        _hits(query, limit=SUGGESTIONS, source=Source.SUGGESTION, strict=True)
        if len(query) >= SUGGEST_FROM
        else []
    )
    return render(request, "portal/_kb_suggestions.html", {"hits": hits, "query": query})


@require_GET
def kb_attachment(request: HttpRequest, article_id: int, attachment_id: int) -> FileResponse:
    """A file of a published public article, always as a download."""
    article = _published(article_id)
    attachment = get_object_or_404(article.attachments, pk=attachment_id)
    return file_download(
        file=attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
