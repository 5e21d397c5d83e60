"""Writing and reviewing articles in the admin: every save and every step goes through the
services, so the body is sanitised, each edit is a version and the search index follows.

Authors (change permission on articles) write and send for review; reviewers (the
`knowledge.review_article` permission) approve, send back, publish (now, or at the article's
`publish at`) and unpublish. Nobody approves their own last edit unless they are a superuser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from caseway.core.limits import attachment_refusal
from caseway.knowledge import services
from caseway.knowledge.exceptions import KnowledgeError
from caseway.knowledge.models import Article, ArticleAttachment, ArticleState, ArticleVersion
from caseway.knowledge.queries import version_diff

REVIEW = "knowledge.review_article"


class ArticleForm(forms.ModelForm):  # type: ignore[type-arg]
    questions = forms.CharField(
        label=_("Alternate questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: the ways customers ask for this article."),
    )
    keyword_list = forms.CharField(
        label=_("Keywords"), required=False, help_text=_("Separated by commas.")
    )
    product_list = forms.CharField(
        label=_("Products"), required=False, help_text=_("Separated by commas.")
    )

    class Meta:
        model = Article
        fields = [
            "title", "summary", "body", "category", "visibility", "language", "owner",
            "review_by", "publish_at", "expires_at",
        ]  # fmt: skip
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
        help_texts = {
            "body": _("HTML; scripts, styles and event handlers are removed when it is saved."),
            "publish_at": _("Used by the Publish action: a future time schedules it."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        article = self.instance
        if article.pk:
            self.fields["questions"].initial = "\n".join(
                article.questions.values_list("text", flat=True)
            )
            self.fields["keyword_list"].initial = ", ".join(article.keywords or [])
            self.fields["product_list"].initial = ", ".join(article.products or [])


def _actor(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in staff user of an admin request."""
    return cast("AbstractBaseUser", request.user)


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


class ArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ArticleForm
    list_display = [
        "title", "state", "visibility", "language", "category", "owner", "current_version",
        "published_at", "review_by", "updated_at",
    ]  # fmt: skip
    list_filter = ["state", "visibility", "language", "category"]
    search_fields = ["title", "summary", "body_text", "questions__text"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "state", "published_at", "current_version", "portal_link", "versions", "files",
    ]  # fmt: skip
    actions = ["send_for_review", "approve", "send_back", "publish", "unpublish", "archive"]
    fieldsets = [
        (None, {"fields": ["title", "state", "portal_link", "summary", "body", "questions",
                           "files"]}),
        (_("Filing"), {"fields": ["category", "visibility", "language", "keyword_list",
                                  "product_list", "owner", "review_by"]}),
        (_("Publication"), {"fields": ["publish_at", "expires_at", "published_at",
                                       "current_version", "versions"]}),
    ]  # fmt: skip

    @admin.display(description=_("In the help center"))
    def portal_link(self, article: Article) -> str:
        if article.pk and article.state == ArticleState.PUBLISHED and article.is_public:
            return format_html('<a href="{0}">{0}</a>', article.get_absolute_url())
        return "—"

    @admin.display(description=_("Attachments"))
    def files(self, article: Article) -> str:
        if not article.pk:
            return "—"
        add = reverse("admin:knowledge_articleattachment_add") + f"?article={article.pk}"
        listed = format_html_join(
            mark_safe("<br>"),
            "{} ({} bytes)",
            ((a.filename, a.size) for a in article.attachments.all()),
        )
        return format_html('{}<br><a href="{}">{}</a>', listed, add, _("Add a file"))

    @admin.display(description=_("Versions"))
    def versions(self, article: Article) -> str:
        """Each version, newest first, linked to its page (changes, restore)."""
        if not article.pk:
            return "—"
        rows = article.versions.select_related("author").order_by("-number")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">v{} · {} · {}</a>',
            (
                (
                    reverse("admin:knowledge_articleversion_change", args=[v.pk]),
                    v.number,
                    v.created_at.strftime("%Y-%m-%d %H:%M"),
                    v.note or "",
                )
                for v in rows
            ),
        )

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields: dict[str, Any] = {
            "title": data["title"],
            "summary": data.get("summary", ""),
            "body": data.get("body", ""),
            "questions": _split(data.get("questions", ""), "\n"),
            "keywords": _split(data.get("keyword_list", ""), ","),
            "products": _split(data.get("product_list", ""), ","),
            "category": data.get("category"),
            "language": data.get("language") or "en",
            "visibility": data["visibility"],
            "owner": data.get("owner"),
            "review_by": data.get("review_by"),
        }
        if change:
            article = services.update_article(
                article=Article.objects.get(pk=obj.pk), author=_actor(request), **fields
            )
        else:
            article = services.create_article(author=_actor(request), **fields)
        Article.objects.filter(pk=article.pk).update(
            publish_at=data.get("publish_at"), expires_at=data.get("expires_at")
        )
        obj.pk = article.pk
        obj.slug = article.slug
        obj._state.adding = False
        obj._state.db = article._state.db

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing more: the service saved the questions."""

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Article],
        step: Callable[[Article], Any],
        done: str,
        *,
        reviewer: bool = False,
    ) -> None:
        if reviewer and not request.user.has_perm(REVIEW):
            self.message_user(request, _("Only reviewers can do that."), messages.ERROR)
            return
        changed = 0
        for article in queryset:
            try:
                step(article)
            except KnowledgeError as exc:
                self.message_user(request, f"{article}: {exc}", messages.WARNING)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{done}: {changed}")

    @admin.action(description=_("Send for review"))
    def send_for_review(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(
            request, queryset,
            lambda a: services.submit_for_review(article=a, actor=_actor(request)),
            str(_("Sent for review")),
        )  # fmt: skip

    @admin.action(description=_("Approve (reviewers)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        def approve_one(article: Article) -> None:
            last = article.versions.order_by("-number").values_list("author_id", flat=True)
            if not request.user.is_superuser and last.first() == request.user.pk:
                raise KnowledgeError(str(_("the last edit is yours: another reviewer approves")))
            services.approve_article(article=article, actor=_actor(request))

        self._each(request, queryset, approve_one, str(_("Approved")), reviewer=True)

    @admin.action(description=_("Send back to draft (reviewers)"))
    def send_back(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(
            request, queryset,
            lambda a: services.reject_article(article=a, actor=_actor(request)),
            str(_("Sent back")), reviewer=True,
        )  # fmt: skip

    @admin.action(description=_("Publish, now or at its publish time (reviewers)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(
            request, queryset,
            lambda a: services.publish_article(
                article=a, actor=_actor(request), publish_at=a.publish_at, expires_at=a.expires_at
            ),
            str(_("Published or scheduled")), reviewer=True,
        )  # fmt: skip

    @admin.action(description=_("Unpublish (reviewers)"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(
            request, queryset,
            lambda a: services.unpublish_article(article=a, actor=_actor(request)),
            str(_("Unpublished")), reviewer=True,
        )  # fmt: skip

    @admin.action(description=_("Archive"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(
            request, queryset,
            lambda a: services.archive_article(article=a, actor=_actor(request)),
            str(_("Archived")),
        )  # fmt: skip


class ArticleVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["article", "number", "title", "author", "note", "created_at"]
    search_fields = ["article__title", "title"]
    readonly_fields = ("article", "number", "title", "summary", "author", "note", "created_at",
                       "changes")  # fmt: skip
    fields = readonly_fields
    actions = ["restore"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Changes from the version before"))
    def changes(self, version: ArticleVersion) -> str:
        if version.number <= 1:
            return "—"
        diff = version_diff(article=version.article, old=version.number - 1, new=version.number)
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", diff or "(no change)")

    @admin.action(description=_("Restore this version (as a new version)"))
    def restore(self, request: HttpRequest, queryset: QuerySet[ArticleVersion]) -> None:
        for version in queryset:
            try:
                services.restore_version(
                    article=version.article, number=version.number, author=_actor(request)
                )
            except KnowledgeError as exc:
                self.message_user(request, f"{version}: {exc}", messages.WARNING)
            else:
                self.message_user(request, _("Restored version %d") % version.number)


class AttachmentForm(forms.ModelForm):  # type: ignore[type-arg]
    upload = forms.FileField(label=_("File"))

    class Meta:
        model = ArticleAttachment
        fields = ["article"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        if upload is not None:
            refusal = attachment_refusal(
                filename=upload.name or "file",
                content_type=upload.content_type or "application/octet-stream",
                size=upload.size or 0,
            )
            if refusal:
                raise forms.ValidationError(refusal)
        return data


class ArticleAttachmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Files offered with articles, within the attachment limits (ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES); added here, listed on the article's page."""

    form = AttachmentForm
    list_display = ["filename", "article", "content_type", "size", "created_at"]
    search_fields = ["filename", "article__title"]
    raw_id_fields = ["article"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ArticleAttachment, form: Any, change: bool
    ) -> None:
        upload = form.cleaned_data["upload"]
        saved = services.attach_file(
            article=form.cleaned_data["article"],
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
            actor=_actor(request),
        )
        obj.pk = saved.pk
        obj._state.adding = False
