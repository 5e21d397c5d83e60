"""Who may use the workspace: agents only. Anonymous users sign in; anyone else gets 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from caseway.cases.models import Case
from caseway.cases.queries import get_case_for_user, is_agent

View = Callable[..., HttpResponseBase]


def agent_required(view: View) -> View:
    """Let agents through; send anonymous users to sign in; refuse everyone else."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            login_url = reverse("workspace:login")
            if is_htmx(request):
                # An expired session inside an htmx request: reload the whole page to sign in.
                return HttpResponseClientRedirect(f"{login_url}?next={reverse('workspace:home')}")
            return redirect_to_login(request.get_full_path(), login_url)
        if not is_agent(request.user):
            return render(request, "workspace/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def case_or_404(request: HttpRequest, number: str) -> Case:
    """The case with this number if the agent may see it; 404 otherwise (no hint it exists)."""
    try:
        return get_case_for_user(request.user, number)
    except Case.DoesNotExist:
        raise Http404("No such case") from None


def is_htmx(request: HttpRequest) -> bool:
    """True for requests htmx made (django-htmx sets request.htmx)."""
    return bool(getattr(request, "htmx", False))


def htmx_target(request: HttpRequest) -> str | None:
    details = getattr(request, "htmx", None)
    return details.target if details else None


def agent_of(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in agent of a request that passed agent_required."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    return user
