"""Admin of what readers do: the community forum (moderation, promotion to a draft article)
and the signals for analytics (searches, views, votes). Imported by admin.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caseway.knowledge import forums
from caseway.knowledge.forum_models import ForumReply, ForumTopic
from caseway.knowledge.signals_models import ArticleFeedback, ArticleView, SearchLog


class ReplyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ForumReply
    extra = 0
    fields = ("author", "body", "score", "is_hidden", "created_at")
    readonly_fields = ("author", "body", "score", "created_at")


@admin.register(ForumTopic)
class ForumTopicAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "author", "status", "is_hidden", "last_activity_at")
    list_filter = ("status", "is_hidden", "category")
    search_fields = ("title", "body")
    readonly_fields = ("author", "accepted_reply", "promoted_article", "created_at")
    inlines = [ReplyInline]
    actions = ["hide", "show", "lock", "promote"]

    @admin.action(description=_("Hide from readers"))
    def hide(self, request: HttpRequest, queryset: QuerySet[ForumTopic]) -> None:
        for topic in queryset:
            forums.set_hidden(post=topic, hidden=True, actor=request.user)

    @admin.action(description=_("Show to readers"))
    def show(self, request: HttpRequest, queryset: QuerySet[ForumTopic]) -> None:
        for topic in queryset:
            forums.set_hidden(post=topic, hidden=False, actor=request.user)

    @admin.action(description=_("Lock (no new answers)"))
    def lock(self, request: HttpRequest, queryset: QuerySet[ForumTopic]) -> None:
        for topic in queryset:
            forums.set_locked(topic=topic, locked=True, actor=request.user)

    @admin.action(description=_("Promote to a draft article"))
    def promote(self, request: HttpRequest, queryset: QuerySet[ForumTopic]) -> None:
        for topic in queryset:
            try:
                article = forums.promote(topic=topic, actor=request.user)
            except forums.ForumError as exc:
                self.message_user(request, f"{topic}: {exc}", messages.WARNING)
            else:
                self.message_user(request, _("Draft article created: %s") % article.title)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Signals are recorded by Caseway, never edited."""

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class FoundFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "found"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", str(_("Found nothing"))), ("yes", str(_("Found something")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SearchLog]) -> QuerySet[SearchLog]:
        if self.value() == "no":
            return queryset.filter(results=0)
        if self.value() == "yes":
            return queryset.filter(results__gt=0)
        return queryset


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ("query", "source", "results", "top_article", "created_at")
    list_filter = ("source", FoundFilter)
    search_fields = ("query",)
    date_hierarchy = "created_at"


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("article", "helpful", "comment", "created_at")
    list_filter = ("helpful",)
    search_fields = ("comment", "article__title")


@admin.register(ArticleView)
class ArticleViewAdmin(ReadOnlyAdmin):
    list_display = ("article", "source", "led_to_case", "created_at")
    list_filter = ("source", "led_to_case")
