"""Home, sign in and sign out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_invites_visitors_to_submit_a_case_or_sign_in(client):
    html = client.get(reverse("portal:home")).content.decode()

    assert "How can we help?" in html
    assert "Submit a case" in html and reverse("portal:new_case") in html
    assert reverse("portal:login") in html
    assert "My cases" not in html
    assert "Caseway Support" in html


def test_home_shows_my_cases_to_a_signed_in_customer(client, customer):
    client.force_login(customer.user)

    html = client.get(reverse("portal:home")).content.decode()

    assert "My cases" in html and reverse("portal:my_cases") in html
    assert "Sign out" in html


def test_sign_in_with_username_and_password_goes_to_my_cases(client, customer):
    page = client.get(reverse("portal:login"))
    assert 'name="username"' in page.content.decode()
    assert "Sign in" in page.content.decode()

    response = client.post(
        reverse("portal:login"), {"username": "carol", "password": "pass-word-123"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:my_cases")


def test_wrong_password_shows_an_error(client, customer):
    response = client.post(reverse("portal:login"), {"username": "carol", "password": "nope"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_sign_out_is_a_post_and_goes_home(client, customer):
    client.force_login(customer.user)

    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))

    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:my_cases")).status_code == 302
