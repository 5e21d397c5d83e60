"""Tokens for an app: sign in by email, exchange a portal session, list, revoke one or all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from caseway.api.models import ApiToken
from caseway.api.tests.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(customer):
    customer.user.set_password("carol-secret-1")
    customer.user.save()
    return customer.user


def sign_in(api, login, **extra):
    return api.post("/auth/token", {"username": login, "password": "carol-secret-1", **extra})


def test_sign_in_with_the_email_address(api, carol):
    response = sign_in(api, "Carol@Globex.test", name="iPhone", expires_in_days=30)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "iPhone"
    expires = ApiToken.objects.get().expires_at
    assert timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)
    mine = Api(client=api.client, token=body["token"])
    assert mine.get("/cases").status_code == 200


def test_a_wrong_password_by_email_is_401(api, carol):
    response = api.post("/auth/token", {"username": "carol@globex.test", "password": "nope"})

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_list_shows_live_tokens_and_the_current_one(api, carol):
    phone = Api(client=api.client, token=sign_in(api, "carol", name="phone").json()["token"])
    sign_in(api, "carol", name="tablet")
    old = ApiToken.objects.get(name="tablet")
    ApiToken.objects.create(user=carol, name="expired", key_hash="x" * 64, prefix="cw_x",
                            expires_at=timezone.now() - timedelta(days=1))  # fmt: skip

    tokens = phone.get("/auth/tokens").json()

    assert [(t["name"], t["is_current"]) for t in tokens] == [("tablet", False), ("phone", True)]
    assert tokens[0]["id"] == old.pk
    assert "token" not in tokens[0]


def test_revoke_one_of_your_own_only(api, carol, stranger):
    phone = Api(client=api.client, token=sign_in(api, "carol", name="phone").json()["token"])
    sign_in(api, "carol", name="tablet")
    tablet = ApiToken.objects.get(name="tablet")
    sam = api.as_user(stranger.user)

    assert sam.delete(f"/auth/tokens/{tablet.pk}").status_code == 404
    assert phone.delete(f"/auth/tokens/{tablet.pk}").status_code == 204
    tablet.refresh_from_db()
    assert tablet.is_revoked
    assert phone.get("/cases").status_code == 200


def test_revoke_all_signs_out_everywhere(api, carol, stranger):
    phone = Api(client=api.client, token=sign_in(api, "carol", name="phone").json()["token"])
    tablet = Api(client=api.client, token=sign_in(api, "carol", name="tablet").json()["token"])
    sam = api.as_user(stranger.user)

    response = phone.post("/auth/tokens/revoke-all")

    assert response.json() == {"revoked": 2}
    assert phone.get("/cases").status_code == 401
    assert tablet.get("/cases").status_code == 401
    assert sam.get("/cases").status_code == 200


def test_a_portal_session_is_exchanged_for_a_token(carol):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(carol)
    browser.get("/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value if "csrftoken" in browser.cookies else ""

    refused = browser.post("/api/v1/auth/session-token", "{}", content_type="application/json")
    response = browser.post(
        "/api/v1/auth/session-token",
        '{"name": "web view"}',
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert refused.status_code == 403  # no CSRF token: a foreign page cannot mint one
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert Api(client=Client(), token=token).get("/cases").status_code == 200


def test_the_session_exchange_needs_a_session(api, carol):
    bearer = api.as_user(carol)

    assert Client().post("/api/v1/auth/session-token", "{}", "application/json").status_code == 401
    assert bearer.post("/auth/session-token", {}).status_code == 401  # a token is no session
