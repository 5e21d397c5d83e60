"""Helpers for calling the API as someone: tokens, a JSON client and cases in place."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from caseway.api.services import issue_token
from caseway.api.tests.receiver import receiver  # noqa: F401 (a fixture: a local HTTP server)
from caseway.intake.services import receive


@dataclass
class Api:
    """A JSON client; `as_user` gives it a token of that user."""

    client: Client
    token: str | None = None

    def as_user(self, user: Any) -> Api:
        _, plaintext = issue_token(user=user, name="tests")
        return Api(client=self.client, token=plaintext)

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        url = "/api/v1" + path
        if method == "get":
            return self.client.get(url, params, headers=headers)
        data = body if isinstance(body, str | bytes) else json.dumps(body or {})
        return getattr(self.client, method)(
            url, data=data, content_type="application/json", headers=headers
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("post", path, body)

    def delete(self, path: str) -> Any:
        return self.call("delete", path)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Sign-in throttling counts in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(db) -> Api:
    return Api(client=Client())


@pytest.fixture
def as_role(api, request):
    """as_role("customer") -> an Api with a token of that conftest fixture's user."""

    def build(role: str) -> Api:
        person = request.getfixturevalue(role)
        return api.as_user(getattr(person, "user", None) or person)

    return build


@pytest.fixture
def carol_case(customer, make_message, default_queue):
    """A case of `customer` (Carol, of account Globex) in the default queue."""
    return receive(make_message(email="carol@globex.test", subject="Printer on fire")).case


@pytest.fixture
def billing_case(stranger, other_agent, make_message):
    """A case of `stranger` moved to the Billing queue, which only `other_agent` works."""
    from caseway.cases.models import Case, Queue

    case = receive(make_message(email="sam@elsewhere.test", subject="Invoice twice")).case
    Case.objects.filter(pk=case.pk).update(queue=Queue.objects.get(slug="billing"))
    case.refresh_from_db()
    return case


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()
