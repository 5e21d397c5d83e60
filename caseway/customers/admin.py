from django.contrib import admin

from caseway.customers.models import Account, Contact, Identity


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
    inlines = [IdentityInline]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["kind", "address", "contact", "is_verified"]
    list_filter = ["kind"]
    search_fields = ["address"]
    raw_id_fields = ["contact"]
