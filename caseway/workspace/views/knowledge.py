"""The knowledge panel of the case view: articles suggested for the case (the same search the
portal and the bot use, internal articles included), the articles linked as used to resolve
it, and a draft article made from the case for review."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from caseway.cases import articles as case_articles
from caseway.cases.models import Case
from caseway.cases.similar import case_text, similar_resolved
from caseway.knowledge.feedback import record_search
from caseway.knowledge.models import Article
from caseway.knowledge.queries import published_articles
from caseway.knowledge.search import search
from caseway.knowledge.signals_models import Source
from caseway.workspace.access import agent_of, agent_required, case_or_404, is_htmx
from caseway.workspace.views.shell import shell_context

SUGGESTED = 5
QUERY_CHARS = 500


def _panel(request: HttpRequest, case: Case) -> HttpResponse:
    linked = case_articles.linked_articles(case)
    linked_ids = {link.article_id for link in linked}
    text = case_text(case)  # subject and the customer's first message
    query = text[:QUERY_CHARS].strip()
    hits = search(query, limit=SUGGESTED, public_only=False, strict=True) if query else []
    record_search(
        query=case.subject or query, source=Source.AGENT, hits=[h.article_id for h in hits]
    )
    return render(
        request,
        "workspace/_knowledge_panel.html",
        {
            "case": case,
            "linked": linked,
            "suggested": [hit for hit in hits if hit.article_id not in linked_ids],
            "similar": similar_resolved(case, user=agent_of(request), text=text),
        },
    )


@agent_required
@require_GET
def knowledge_panel(request: HttpRequest, number: str) -> HttpResponse:
    return _panel(request, case_or_404(request, number))


def _article(request: HttpRequest) -> Article:
    try:
        article_id = int(request.POST.get("article", ""))
    except ValueError:
        raise Http404("No such article") from None
    article = published_articles(public_only=False).filter(pk=article_id).first()
    if article is None:
        raise Http404("No such article")
    return article


def _back(request: HttpRequest, case: Case) -> HttpResponse:
    if is_htmx(request):
        return _panel(request, case)
    return redirect("workspace:case", case.number)


@agent_required
@require_POST
def link_article(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    case_articles.link_article(case=case, article=_article(request), actor=agent_of(request))
    return _back(request, case)


@agent_required
@require_POST
def unlink_article(request: HttpRequest, number: str) -> HttpResponse:
    case = case_or_404(request, number)
    case_articles.unlink_article(case=case, article=_article(request), actor=agent_of(request))
    return _back(request, case)


@agent_required
@require_POST
def draft_article(request: HttpRequest, number: str) -> HttpResponse:
    """Make a draft article from the case and open it in the editor (the admin)."""
    case = case_or_404(request, number)
    article = case_articles.draft_article_from_case(case=case, actor=agent_of(request))
    url = reverse("admin:knowledge_article_change", args=[article.pk])
    if is_htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


@agent_required
@require_GET
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    """A published article (internal ones too) as agents read it."""
    found = published_articles(public_only=False).filter(pk=article_id).first()
    if found is None:
        raise Http404("No such article")
    context: dict[str, object] = {"article": found}
    context.update(shell_context(request))
    return render(request, "workspace/article.html", context)
