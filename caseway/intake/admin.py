from django.contrib import admin
from django.utils.html import format_html

from caseway.intake.models import InboundRecord
from caseway.intake.services import produced_activity


@admin.register(InboundRecord)
class InboundRecordAdmin(admin.ModelAdmin):
    list_display = ["channel", "provider_id", "status", "received_at", "attempts"]
    list_filter = ["channel", "status"]
    search_fields = ["provider_id"]
    readonly_fields = [*(f.name for f in InboundRecord._meta.fields), "case"]

    @admin.display(description="case")
    def case(self, record: InboundRecord) -> str:
        activity = produced_activity(record)
        if activity is None:
            return "-"
        case = activity.case
        return format_html('<a href="/agent/cases/{}/">{}</a>', case.number, case)
