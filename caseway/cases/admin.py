from django.contrib import admin

from caseway.cases.models import Activity, AuditEntry, Case, Notification, Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members", "supervisors"]


class AuditEntryInline(admin.TabularInline):
    model = AuditEntry
    extra = 0
    can_delete = False
    readonly_fields = ["field", "before", "after", "actor_label", "at"]
    exclude = ["actor"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "subject", "status", "priority", "queue", "owner", "created_at"]
    list_filter = ["status", "priority", "origin_channel", "queue"]
    search_fields = ["subject", "contact__name", "contact__email"]
    raw_id_fields = ["contact", "account", "owner"]
    readonly_fields = ["first_response_at", "resolved_at"]
    inlines = [AuditEntryInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "channel", "is_public", "created_at"]
    list_filter = ["kind", "channel"]
    raw_id_fields = ["case", "author_contact", "author_agent"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What agents were told (SLA warnings, escalations); read only."""

    list_display = ["text", "recipient", "case", "created_at", "read_at", "emailed_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["text", "recipient__username", "recipient__email"]
    list_select_related = ["recipient", "case"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
