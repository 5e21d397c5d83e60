"""Every write to articles: authoring with versions, the review and publication lifecycle, and
scheduling. The search index follows through tasks enqueued after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.text import get_valid_filename, slugify
from django.utils.translation import gettext as _

from caseway.core.limits import attachment_refusal
from caseway.core.sanitize import clean_html
from caseway.knowledge.exceptions import (
    ArticleNotEditable,
    ArticleTransitionNotAllowed,
    AttachmentRefused,
    InvalidSchedule,
    VersionNotFound,
)
from caseway.knowledge.models import (
    ARTICLE_TRANSITIONS,
    AlternateQuestion,
    Article,
    ArticleAttachment,
    ArticleState,
    ArticleVersion,
    ArticleVisibility,
    Category,
)
from caseway.knowledge.text import html_to_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User

UNSET: Any = object()


def unique_slug(text: str, *, model: type[Article] | type[Category] = Article,
                exclude_pk: int | None = None) -> str:  # fmt: skip
    """slugify(text), with -2, -3... when taken."""
    base = slugify(text)[:120] or "article"
    same = model.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    taken = set(same.values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_category(*, name: str, parent: Category | None = None, position: int = 0
                    ) -> Category:  # fmt: skip
    return Category.objects.create(
        name=name, slug=unique_slug(name, model=Category), parent=parent, position=position
    )


@transaction.atomic
def create_article(
    *,
    title: str,
    author: AbstractBaseUser | None,
    body: str = "",
    summary: str = "",
    questions: Sequence[str] = (),
    keywords: Sequence[str] = (),
    products: Sequence[str] = (),
    category: Category | None = None,
    language: str = "en",
    visibility: str = ArticleVisibility.PUBLIC,
    owner: AbstractBaseUser | None = None,
    review_by: date | None = None,
) -> Article:
    """A draft with version 1. `body` is HTML from an editor; it is sanitised here."""
    clean = clean_html(body)
    article = Article.objects.create(
        title=title.strip(),
        slug=unique_slug(title),
        summary=summary.strip(),
        body=clean,
        body_text=html_to_text(clean),
        keywords=_words(keywords),
        products=_words(products),
        category=category,
        language=language,
        visibility=visibility,
        owner=cast("User | None", owner if owner is not None else author),
        review_by=review_by,
    )
    _set_questions(article, questions)
    _record_version(article, author=author, note="created")
    return article


def question_answer_body(*, question: str, answer: str) -> str:
    """The body of a draft made from a question and its answer in plain text (a case, a
    community thread): both escaped, under a heading each, for the author to edit."""
    return (
        f"<h2>{escape(_('Question'))}</h2>{linebreaks(escape(question))}"
        f"<h2>{escape(_('Answer'))}</h2>{linebreaks(escape(answer))}"
    )


@transaction.atomic
def update_article(
    *,
    article: Article,
    author: AbstractBaseUser | None,
    title: str = UNSET,
    body: str = UNSET,
    summary: str = UNSET,
    questions: Sequence[str] = UNSET,
    keywords: Sequence[str] = UNSET,
    products: Sequence[str] = UNSET,
    category: Category | None = UNSET,
    language: str = UNSET,
    visibility: str = UNSET,
    owner: AbstractBaseUser | None = UNSET,
    review_by: date | None = UNSET,
    note: str = "",
) -> Article:
    """Change what is given; a change of title, summary or body records a new version.

    An approved article goes back to draft (its approval was of the old text); a published
    one stays published and the index is refreshed. Archived articles are reopened first.
    """
    article = _locked(article)
    if article.state == ArticleState.ARCHIVED:
        raise ArticleNotEditable(article.pk)
    before = (article.title, article.summary, article.body)
    if title is not UNSET:
        article.title = title.strip()
    if summary is not UNSET:
        article.summary = summary.strip()
    if body is not UNSET:
        article.body = clean_html(body)
        article.body_text = html_to_text(article.body)
    changes: dict[str, Any] = {
        "keywords": keywords if keywords is UNSET else _words(keywords),
        "products": products if products is UNSET else _words(products),
        "category": category, "language": language, "visibility": visibility, "owner": owner,
        "review_by": review_by,
    }  # fmt: skip
    for field, value in changes.items():
        if value is not UNSET:
            setattr(article, field, value)
    if questions is not UNSET:
        _set_questions(article, questions)
    content_changed = before != (article.title, article.summary, article.body)
    if content_changed and article.state == ArticleState.APPROVED:
        article.state = ArticleState.DRAFT
        article.publish_at = None
    article.save()
    if content_changed:
        _record_version(article, author=author, note=note or "edited")
    if article.state == ArticleState.PUBLISHED:
        _refresh_index(article)
    return article


@transaction.atomic
def restore_version(*, article: Article, number: int, author: AbstractBaseUser | None
                    ) -> Article:  # fmt: skip
    """Bring back the title, summary and body of version `number` as a new version."""
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise VersionNotFound(f"article {article.pk} has no version {number}")
    return update_article(
        article=article,
        author=author,
        title=version.title,
        summary=version.summary,
        body=version.body,
        note=f"restored version {number}",
    )


@transaction.atomic
def submit_for_review(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    return _move(article, ArticleState.IN_REVIEW)


@transaction.atomic
def reject_article(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    """Send an article in review back to its author as a draft."""
    article = _locked(article)
    if article.state != ArticleState.IN_REVIEW:
        raise ArticleTransitionNotAllowed(article.state, ArticleState.DRAFT)
    return _move(article, ArticleState.DRAFT)


@transaction.atomic
def approve_article(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    return _move(article, ArticleState.APPROVED)


@transaction.atomic
def publish_article(
    *,
    article: Article,
    actor: AbstractBaseUser | None,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Article:
    """Publish an approved article now, or schedule it (it stays approved until publish_at).

    A scheduled article is published by a deferred task where the task backend can defer,
    and by apply_due_schedules() in any case.
    """
    article = _locked(article)
    now = timezone.now()
    if expires_at is not None and expires_at <= (publish_at or now):
        raise InvalidSchedule("an article cannot expire before it is published")
    if article.state != ArticleState.APPROVED:
        raise ArticleTransitionNotAllowed(article.state, ArticleState.PUBLISHED)
    article.expires_at = expires_at
    if publish_at is not None and publish_at > now:
        article.publish_at = publish_at
        article.save(update_fields=["publish_at", "expires_at", "updated_at"])
        _schedule(article, publish_at)
        return article
    article = _move(
        article, ArticleState.PUBLISHED, publish_at=publish_at or now, published_at=now,
        expires_at=expires_at,
    )  # fmt: skip
    if expires_at is not None:
        _schedule(article, expires_at)
    return article


@transaction.atomic
def unpublish_article(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    """Take a published article off the knowledge base; it stays approved."""
    article = _locked(article)
    if article.state != ArticleState.PUBLISHED:
        raise ArticleTransitionNotAllowed(article.state, ArticleState.APPROVED)
    return _move(article, ArticleState.APPROVED, publish_at=None)


@transaction.atomic
def expire_article(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    return _move(article, ArticleState.EXPIRED)


@transaction.atomic
def archive_article(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    return _move(article, ArticleState.ARCHIVED)


@transaction.atomic
def reopen_article(*, article: Article, actor: AbstractBaseUser | None) -> Article:
    """An expired or archived article becomes a draft again."""
    article = _locked(article)
    if article.state not in (ArticleState.EXPIRED, ArticleState.ARCHIVED):
        raise ArticleTransitionNotAllowed(article.state, ArticleState.DRAFT)
    return _move(article, ArticleState.DRAFT, publish_at=None, expires_at=None)


def apply_schedule(*, article_id: int, now: datetime | None = None) -> str:
    """Publish the article if its publish_at has come, expire it if its expires_at has.
    Safe to run twice and at any time: it only acts on what is due."""
    now = now or timezone.now()
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            return "gone"
        if (
            article.state == ArticleState.APPROVED
            and article.publish_at is not None
            and article.publish_at <= now
            and (article.expires_at is None or article.expires_at > now)
        ):
            publish_article(article=article, actor=None, expires_at=article.expires_at)
            return "published"
        if (
            article.state == ArticleState.PUBLISHED
            and article.expires_at is not None
            and article.expires_at <= now
        ):
            expire_article(article=article, actor=None)
            return "expired"
    return "nothing due"


def apply_due_schedules(*, now: datetime | None = None) -> dict[str, int]:
    """apply_schedule for every article due: for a periodic sweep beside the task worker."""
    now = now or timezone.now()
    due = Article.objects.filter(
        Q(state=ArticleState.APPROVED, publish_at__lte=now)
        | Q(state=ArticleState.PUBLISHED, expires_at__lte=now)
    ).values_list("pk", flat=True)
    outcomes: dict[str, int] = {}
    for article_id in list(due):
        outcome = apply_schedule(article_id=article_id, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- helpers -------------------------------------------------------------------------------


def _locked(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def _move(article: Article, target: str, **changes: datetime | None) -> Article:
    """Change the state (and the given date fields) if the transition is allowed; the index
    follows after commit when the article enters or leaves publication."""
    locked = _locked(article)
    if target not in ARTICLE_TRANSITIONS[locked.state]:
        raise ArticleTransitionNotAllowed(locked.state, target)
    was_published = locked.state == ArticleState.PUBLISHED
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.state = target
    locked.save(update_fields=["state", *changes, "updated_at"])
    if was_published or target == ArticleState.PUBLISHED:
        _refresh_index(locked)
    return locked


def _refresh_index(article: Article) -> None:
    from caseway.knowledge.tasks import refresh_article_index

    pk = article.pk
    transaction.on_commit(lambda: refresh_article_index.enqueue(pk))


def _schedule(article: Article, when: datetime) -> None:
    """A deferred apply_schedule at `when`, where the task backend can defer."""
    from caseway.knowledge.tasks import apply_article_schedule

    if not apply_article_schedule.get_backend().supports_defer:
        return
    pk = article.pk
    transaction.on_commit(lambda: apply_article_schedule.using(run_after=when).enqueue(pk))


def _record_version(article: Article, *, author: AbstractBaseUser | None, note: str) -> None:
    article.current_version += 1
    article.save(update_fields=["current_version"])
    ArticleVersion.objects.create(
        article=article,
        number=article.current_version,
        title=article.title,
        summary=article.summary,
        body=article.body,
        body_text=article.body_text,
        author=cast("User | None", author),
        note=note[:255],
    )


def _set_questions(article: Article, questions: Sequence[str]) -> None:
    AlternateQuestion.objects.filter(article=article).delete()
    texts = list(dict.fromkeys(q.strip()[:500] for q in questions if q.strip()))
    AlternateQuestion.objects.bulk_create(AlternateQuestion(article=article, text=t) for t in texts)


def _words(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def attach_file(
    *, article: Article, filename: str, content_type: str, content: bytes,
    actor: AbstractBaseUser | None,
) -> ArticleAttachment:  # fmt: skip
    """Offer a file with the article; AttachmentRefused when it breaks the limits."""
    name = get_valid_filename(Path(filename).name) or "file"
    refusal = attachment_refusal(filename=name, content_type=content_type, size=len(content))
    if refusal:
        raise AttachmentRefused(refusal)
    attachment = ArticleAttachment(
        article=article, filename=name, content_type=content_type, size=len(content)
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment
