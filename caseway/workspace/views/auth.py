"""Sign in and sign out of the workspace."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse

from caseway.workspace.forms import AgentAuthenticationForm


class WorkspaceLoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    authentication_form = AgentAuthenticationForm

    def get_default_redirect_url(self) -> str:
        return reverse("workspace:home")


class WorkspaceLogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET)."""

    def get_default_redirect_url(self) -> str:
        return reverse("workspace:login")
