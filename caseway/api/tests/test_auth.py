from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caseway.api.models import ApiToken, hash_token
from caseway.api.services import issue_token, revoke_token
from caseway.customers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_a_bearer_challenge(api):
    response = api.get("/cases")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize("value", ["Bearer cw_not-a-real-token", "Bearer nonsense", "Bearer "])
def test_wrong_token_is_401(api, customer, value):
    response = api.client.get("/api/v1/cases", headers={"Authorization": value})

    assert response.status_code == 401


def test_revoked_token_is_401(api, customer):
    token, plaintext = issue_token(user=customer.user, name="phone")
    revoke_token(token=token, actor=customer.user)

    response = api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {plaintext}"})

    assert response.status_code == 401


def test_expired_token_is_401(api, customer):
    _, plaintext = issue_token(
        user=customer.user, name="phone", expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {plaintext}"})

    assert response.status_code == 401


def test_token_of_a_deactivated_user_is_401(api, customer):
    caller = api.as_user(customer.user)
    customer.user.is_active = False
    customer.user.save()

    assert caller.get("/cases").status_code == 401


def test_token_that_has_not_expired_yet_works(api, customer):
    _, plaintext = issue_token(
        user=customer.user, name="phone", expires_at=timezone.now() + timedelta(days=1)
    )

    response = api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {plaintext}"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/queues", None),
        ("post", "/cases/{number}/notes", {"text": "psst"}),
        ("post", "/cases/{number}/status", {"status": "resolved"}),
        ("post", "/cases/{number}/assign", {"owner": None}),
    ],
)
def test_customer_on_an_agent_endpoint_is_403(as_role, carol_case, method, path, body):
    caller = as_role("customer")
    path = path.format(number=carol_case.number)

    response = caller.get(path) if method == "get" else caller.post(path, body)

    assert response.status_code == 403
    assert "agents" in response.json()["detail"]


def test_agent_cannot_open_a_case_as_a_customer(as_role):
    response = as_role("agent").post("/cases", {"subject": "Hi", "text": "Hello"})

    assert response.status_code == 403


def test_user_who_is_neither_agent_nor_customer_is_403(api):
    caller = api.as_user(UserFactory(username="nobody"))

    assert caller.get("/cases").status_code == 403
    assert caller.post("/cases", {"subject": "Hi", "text": "Hello"}).status_code == 403


def test_wrong_bearer_token_is_401_even_with_a_session(api, customer):
    api.client.force_login(customer.user)

    response = api.client.get("/api/v1/cases", headers={"Authorization": "Bearer cw_wrong"})

    assert response.status_code == 401


class TestSignIn:
    def test_password_gives_a_working_token(self, api, customer):
        response = api.post(
            "/auth/token", {"username": "carol", "password": "pass-word-123", "name": "iPhone"}
        )

        assert response.status_code == 201
        body = response.json()
        assert body["token"].startswith("cw_")
        assert body["prefix"] == body["token"][:8]
        stored = ApiToken.objects.get(user=customer.user)
        assert stored.name == "iPhone"
        assert stored.key_hash == hash_token(body["token"])
        assert body["token"] not in {stored.key_hash, stored.prefix}
        auth = {"Authorization": f"Bearer {body['token']}"}
        assert api.client.get("/api/v1/cases", headers=auth).status_code == 200

    def test_wrong_password_is_401(self, api, customer):
        response = api.post("/auth/token", {"username": "carol", "password": "nope", "name": "x"})

        assert response.status_code == 401
        assert not ApiToken.objects.exists()

    def test_unknown_user_is_401(self, api):
        response = api.post("/auth/token", {"username": "ghost", "password": "x", "name": "x"})

        assert response.status_code == 401

    def test_user_without_a_role_gets_no_token(self, api):
        UserFactory(username="nobody")

        response = api.post(
            "/auth/token", {"username": "nobody", "password": "pass-word-123", "name": "x"}
        )

        assert response.status_code == 403
        assert not ApiToken.objects.exists()

    def test_password_guessing_is_throttled(self, api, customer):
        wrong = {"username": "carol", "password": "guess", "name": "x"}
        statuses = [api.post("/auth/token", wrong).status_code for _ in range(11)]

        assert statuses == [401] * 10 + [429]
        right = {"username": "carol", "password": "pass-word-123", "name": "x"}
        assert api.post("/auth/token", right).status_code == 429

    def test_missing_password_is_422_naming_the_field(self, api):
        response = api.post("/auth/token", {"username": "carol"})

        assert response.status_code == 422
        assert ["body", "payload", "password"] in [e["loc"] for e in response.json()["detail"]]


class TestSignOut:
    def test_delete_revokes_the_token_used(self, as_role, customer):
        caller = as_role("customer")

        response = caller.delete("/auth/token")

        assert response.status_code == 204
        assert ApiToken.objects.get(user=customer.user).is_revoked
        assert caller.get("/cases").status_code == 401

    def test_delete_without_a_token_is_400(self, api, customer):
        api.client.force_login(customer.user)

        response = api.client.delete("/api/v1/auth/token")

        assert response.status_code == 400


class TestLastUsed:
    def test_first_use_is_recorded(self, as_role, customer):
        as_role("customer").get("/cases")

        assert ApiToken.objects.get(user=customer.user).last_used_at is not None

    def test_use_within_a_minute_writes_nothing(self, as_role, customer):
        caller = as_role("customer")
        caller.get("/cases")

        with CaptureQueriesContext(connection) as queries:
            caller.get("/cases")

        assert not [q for q in queries if q["sql"].startswith("UPDATE")]

    def test_use_after_a_minute_is_recorded_again(self, as_role, customer):
        caller = as_role("customer")
        caller.get("/cases")
        old = timezone.now() - timedelta(minutes=2)
        ApiToken.objects.filter(user=customer.user).update(last_used_at=old)

        caller.get("/cases")

        assert ApiToken.objects.get(user=customer.user).last_used_at > old


class TestSession:
    def test_session_reads_without_csrf(self, customer, carol_case):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer.user)

        response = client.get("/api/v1/cases")

        assert response.status_code == 200
        assert response.json()["count"] == 1

    def test_session_write_without_csrf_token_is_403(self, customer):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer.user)

        response = client.post(
            "/api/v1/cases", {"subject": "Hi", "text": "Hello"}, content_type="application/json"
        )

        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]

    def test_session_write_with_csrf_token_works(self, customer):
        client = Client(enforce_csrf_checks=True)
        client.force_login(customer.user)
        client.get("/api/v1/docs")  # any page rendering {% csrf_token %} sets the cookie
        token = client.cookies["csrftoken"].value

        response = client.post(
            "/api/v1/cases",
            {"subject": "Hi", "text": "Hello"},
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )

        assert response.status_code == 201
