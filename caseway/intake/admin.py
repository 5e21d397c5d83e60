from django.contrib import admin

from caseway.intake.models import InboundRecord


@admin.register(InboundRecord)
class InboundRecordAdmin(admin.ModelAdmin):
    list_display = ["channel", "provider_id", "status", "case_id", "received_at", "attempts"]
    list_filter = ["channel", "status"]
    search_fields = ["provider_id"]
    readonly_fields = [f.name for f in InboundRecord._meta.fields]
