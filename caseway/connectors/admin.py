from django.contrib import admin

from caseway.connectors.models import SmsConsent


@admin.register(SmsConsent)
class SmsConsentAdmin(admin.ModelAdmin):
    list_display = ["number", "is_opted_out", "keyword", "via", "changed_at"]
    list_filter = ["is_opted_out"]
    search_fields = ["number"]
