"""Background tasks of knowledge: take ids, call one function, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from caseway.knowledge.index import index_article
from caseway.knowledge.services import apply_schedule


@task()
def refresh_article_index(article_id: int) -> str:
    """Make the search index show the article as it is now (published or not)."""
    report = index_article(article_id=article_id)
    if report.indexed:
        return "indexed"
    if report.removed:
        return "removed"
    return "unchanged"


@task()
def apply_article_schedule(article_id: int) -> str:
    """Publish or expire the article if its date has come (enqueued with run_after)."""
    return apply_schedule(article_id=article_id)
