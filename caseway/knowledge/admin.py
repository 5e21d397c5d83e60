from django.contrib import admin

from caseway.knowledge.admin_authoring import (
    ArticleAdmin,
    ArticleAttachmentAdmin,
    ArticleVersionAdmin,
)
from caseway.knowledge.models import (
    AlternateQuestion,
    Article,
    ArticleAttachment,
    ArticleVersion,
    Category,
    SearchDocument,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


admin.site.register(Article, ArticleAdmin)
admin.site.register(ArticleVersion, ArticleVersionAdmin)
admin.site.register(ArticleAttachment, ArticleAttachmentAdmin)


@admin.register(AlternateQuestion)
class AlternateQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "article"]
    search_fields = ["text", "article__title"]
    raw_id_fields = ["article"]


@admin.register(SearchDocument)
class SearchDocumentAdmin(admin.ModelAdmin):
    list_display = ["article", "title", "language", "is_public", "expires_at", "indexed_at"]
    list_filter = ["is_public", "language"]
    search_fields = ["title"]
    readonly_fields = [f.name for f in SearchDocument._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


# The community forum and the readers' signals have their own admin module.
from caseway.knowledge import admin_readers  # noqa: E402, F401
