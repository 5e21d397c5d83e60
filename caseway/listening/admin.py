from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caseway.listening.models import SocialPost, WatchWord


@admin.register(WatchWord)
class WatchWordAdmin(admin.ModelAdmin):
    """The watch list: complaint words open a case, product names mark the case's product."""

    list_display = ["phrase", "kind", "is_active", "updated_at"]
    list_editable = ["kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["phrase"]


@admin.register(SocialPost)
class SocialPostAdmin(admin.ModelAdmin):
    """Every public post heard: filter by verdict and sentiment to count them."""

    list_display = [
        "created_at",
        "channel",
        "author_name",
        "short_text",
        "sentiment",
        "sentiment_score",
        "is_complaint",
        "verdict",
        "case",
    ]
    list_filter = ["verdict", "sentiment", "is_complaint", "channel"]
    search_fields = ["text", "author_name", "author_address", "provider_id"]
    list_select_related = ["case"]
    readonly_fields = [f.name for f in SocialPost._meta.fields]
    date_hierarchy = "created_at"

    @admin.display(description=_("text"))
    def short_text(self, post: SocialPost) -> str:
        return post.text[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SocialPost | None = None) -> bool:
        return False
