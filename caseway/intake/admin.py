from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from caseway.intake.models import InboundEmail, InboundRecord, Mailbox
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


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "name", "queue", "is_active", "imap_host", "last_polled_at"]
    list_filter = ["is_active", "queue"]
    search_fields = ["address", "name"]
    readonly_fields = ["last_polled_at", "last_poll_error", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["address", "name", "queue", "is_active"]}),
        (
            "IMAP polling (leave the host empty when mail arrives by SMTP)",
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "imap_password_setting",
                    "imap_folder",
                    "imap_processed_folder",
                    "last_polled_at",
                    "last_poll_error",
                ]
            },
        ),
    ]


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "message_id", "envelope_from", "mailbox", "source", "status"]
    list_filter = ["status", "source", "mailbox"]
    search_fields = ["message_id", "envelope_from"]
    exclude = ["raw"]
    readonly_fields = [
        *(f.name for f in InboundEmail._meta.fields if f.name != "raw"),
        "headers",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="headers")
    def headers(self, email: InboundEmail) -> str:
        raw = bytes(email.raw)
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        return format_html("<pre>{}</pre>", head.decode("utf-8", errors="replace")[:20000])
