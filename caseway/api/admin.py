"""Admin for API tokens: issue one (its value is shown once), see use, revoke."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caseway.api.models import ApiToken
from caseway.api.services import issue_token, revoke_token

NEW_TOKEN_FIELDS = ("user", "name", "expires_at")
TOKEN_FIELDS = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "is_revoked")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at",
                    "is_revoked"]  # fmt: skip
    list_filter = ["is_revoked"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        return NEW_TOKEN_FIELDS if obj is None else TOKEN_FIELDS

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiToken | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else TOKEN_FIELDS  # a token never changes; revoke it instead

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: ModelForm, change: bool
    ) -> None:
        """A new token is issued by the service; its value is shown this once."""
        if change:
            return
        token, plaintext = issue_token(user=obj.user, name=obj.name, expires_at=obj.expires_at)
        obj.pk = token.pk
        obj.key_hash = token.key_hash
        obj.prefix = token.prefix
        obj.created_at = token.created_at
        obj._state.adding = False
        messages.warning(
            request,
            _("Copy the new token now; it will not be shown again: %(token)s")
            % {"token": plaintext},
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(is_revoked=False):
            revoke_token(token=token, actor=request.user)  # type: ignore[arg-type]
            count += 1
        messages.success(request, _("%(count)d tokens revoked.") % {"count": count})
