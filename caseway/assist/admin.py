from django.contrib import admin

from caseway.assist.models import Conversation, Turn


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    fields = ["role", "text", "article", "confidence", "is_handoff_offered", "is_helpful"]
    readonly_fields = ["role", "text", "article", "confidence", "is_handoff_offered", "is_helpful"]
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["token", "channel", "contact", "outcome", "handed_off_case", "started_at"]
    list_filter = ["channel", "outcome"]
    readonly_fields = ["token", "channel", "contact", "handed_off_case", "outcome", "started_at"]
    inlines = [TurnInline]
