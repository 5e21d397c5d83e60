"""Cases and the knowledge base: the articles an agent used to resolve a case, and a draft
article made from a case's question and resolution for review.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caseway.cases.models import Activity, ActivityKind, Case, CaseArticle
from caseway.cases.services import add_system_event, require_agent
from caseway.knowledge import services as knowledge_services
from caseway.knowledge.models import Article


def linked_articles(case: Case) -> list[CaseArticle]:
    return list(case.article_links.select_related("article", "linked_by"))


def link_article(*, case: Case, article: Article, actor: AbstractBaseUser) -> CaseArticle:
    """Mark the article as used to resolve the case (once), with a line on the timeline."""
    require_agent(actor)
    try:
        with transaction.atomic():
            link = CaseArticle.objects.create(
                case=case, article=article, linked_by_id=actor.pk, linked_at=timezone.now()
            )
    except IntegrityError:
        return CaseArticle.objects.get(case=case, article=article)
    add_system_event(
        case=case,
        text=_("Article “%(title)s” linked as used to resolve this case")
        % {"title": article.title},
        data={"article_id": article.pk},
    )
    return link


def unlink_article(*, case: Case, article: Article, actor: AbstractBaseUser) -> bool:
    require_agent(actor)
    deleted, _rows = CaseArticle.objects.filter(case=case, article=article).delete()
    return bool(deleted)


def first_question(case: Case) -> str:
    """The text of the customer's first message on the case."""
    first = (
        Activity.objects.filter(case=case, kind=ActivityKind.MESSAGE_IN)
        .order_by("created_at", "pk")
        .values_list("text", flat=True)
        .first()
    )
    return first or ""


def _resolution(case: Case) -> str:
    last = (
        Activity.objects.filter(case=case, kind=ActivityKind.MESSAGE_OUT)
        .order_by("-created_at", "-pk")
        .values_list("text", flat=True)
        .first()
    )
    return last or ""


def draft_article_from_case(*, case: Case, actor: AbstractBaseUser) -> Article:
    """A draft article: the case's subject as title and alternate question, the customer's
    question and the agent's last public reply as body (plain text, escaped, for the author to
    edit and send for review). The draft is linked to the case."""
    require_agent(actor)
    question = first_question(case)
    resolution = _resolution(case)
    body = knowledge_services.question_answer_body(question=question, answer=resolution)
    with transaction.atomic():
        article = knowledge_services.create_article(
            title=case.subject or _("Untitled"),
            body=body,
            questions=[case.subject] if case.subject else [],
            author=actor,
            products=[case.product] if case.product else [],
        )
        CaseArticle.objects.create(
            case=case, article=article, linked_by_id=actor.pk, linked_at=timezone.now()
        )
        add_system_event(
            case=case,
            text=_("Draft article “%(title)s” created from this case") % {"title": article.title},
            data={"article_id": article.pk},
        )
    return article
