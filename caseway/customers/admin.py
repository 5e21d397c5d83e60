from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from caseway.customers.models import Account, Contact, ContactMerge, Identity, MergeSuggestion


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "size", "is_preferred", "domain"]
    list_filter = ["size", "is_preferred"]
    search_fields = ["name", "domain"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "account", "is_preferred", "is_account_admin"]
    list_filter = ["is_preferred", "is_account_admin", "account__size"]
    search_fields = ["name", "email", "phone", "identities__address"]
    raw_id_fields = ["user", "account"]
    # Merging goes through the workspace, which moves identities and cases and audits it.
    readonly_fields = ["merged_into", "merged_at"]
    inlines = [IdentityInline]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["kind", "address", "contact", "is_verified"]
    list_filter = ["kind"]
    search_fields = ["address"]
    raw_id_fields = ["contact"]


class _ReadOnly(admin.ModelAdmin):
    """History: written by the merge services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContactMerge)
class ContactMergeAdmin(_ReadOnly):
    list_display = ["merged", "survivor", "actor_label", "merged_at", "unmerged_at"]
    list_select_related = ["merged", "survivor"]
    search_fields = ["merged__name", "survivor__name", "actor_label"]


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(_ReadOnly):
    list_display = ["contact", "other", "kind", "address", "status", "created_at"]
    list_filter = ["status", "kind", "source"]
    list_select_related = ["contact", "other"]
    search_fields = ["address"]
