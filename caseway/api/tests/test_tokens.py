"""Token services and the admin page for tokens."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from caseway.api.exceptions import TokenNotYours
from caseway.api.models import ApiToken
from caseway.api.queries import get_live_token
from caseway.api.services import issue_token, revoke_token

pytestmark = pytest.mark.django_db


def test_issue_stores_only_the_hash_and_a_prefix(customer):
    token, plaintext = issue_token(user=customer.user, name="iPhone")

    assert plaintext.startswith("cw_") and len(plaintext) > 40
    assert token.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.prefix == plaintext[:8]
    stored = ApiToken.objects.values_list("key_hash", "prefix", "name").get()
    assert plaintext not in stored
    assert get_live_token(plaintext) == token


def test_tokens_are_unique(customer):
    first = issue_token(user=customer.user, name="a")[1]
    second = issue_token(user=customer.user, name="a")[1]

    assert first != second


def test_someone_else_cannot_revoke_a_token(customer, stranger):
    token, _ = issue_token(user=customer.user, name="phone")

    with pytest.raises(TokenNotYours):
        revoke_token(token=token, actor=stranger.user)
    assert not ApiToken.objects.get().is_revoked


def test_admin_can_revoke_any_token(customer, admin_user):
    token, plaintext = issue_token(user=customer.user, name="phone")

    revoke_token(token=token, actor=admin_user)

    assert ApiToken.objects.get().is_revoked
    assert get_live_token(plaintext) is None


class TestAdmin:
    @pytest.fixture
    def client(self, admin_user):
        client = Client()
        client.force_login(admin_user)
        return client

    def test_adding_a_token_shows_its_value_once(self, client, customer):
        response = client.post(
            "/admin/api/apitoken/add/",
            {
                "user": customer.user.pk,
                "name": "Kiosk lobby",
                "expires_at_0": "",
                "expires_at_1": "",
            },
            follow=True,
        )

        assert response.status_code == 200
        token = ApiToken.objects.get()
        shown = [str(m) for m in get_messages(response.wsgi_request)]
        plaintext = next(word for m in shown for word in m.split() if word.startswith("cw_"))
        assert get_live_token(plaintext) == token
        assert token.name == "Kiosk lobby"

    def test_list_and_change_pages_render(self, client, customer):
        token, _ = issue_token(user=customer.user, name="phone")

        assert client.get("/admin/api/apitoken/").status_code == 200
        assert client.get(f"/admin/api/apitoken/{token.pk}/change/").status_code == 200

    def test_revoke_action(self, client, customer):
        token, _ = issue_token(user=customer.user, name="phone")

        client.post(
            "/admin/api/apitoken/",
            {"action": "revoke", "_selected_action": [token.pk]},
        )

        assert ApiToken.objects.get().is_revoked
