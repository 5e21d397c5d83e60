from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caseway.social.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Deliveries as they arrived; rejected ones are here to be looked at."""

    list_display = ["received_at", "channel", "state", "body_bytes", "short_error"]
    list_filter = ["channel", "state"]
    search_fields = ["digest", "error"]
    readonly_fields = [
        "channel",
        "state",
        "error",
        "summary",
        "received_at",
        "processed_at",
        "body_bytes",
        "content_type",
        "digest",
        "body_preview",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description=_("error"))
    def short_error(self, delivery: WebhookDelivery) -> str:
        return delivery.error[:100]

    @admin.display(description=_("body"))
    def body_preview(self, delivery: WebhookDelivery) -> str:
        return delivery.body_text()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False
