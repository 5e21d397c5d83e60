from django.contrib import admin

from caseway.livechat.models import CannedResponse, ChatSession


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "shortcut", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "shortcut", "text"]


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "state", "case", "agent", "started_at"]
    list_filter = ["state"]
    search_fields = ["name", "email"]
    readonly_fields = [f.name for f in ChatSession._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
