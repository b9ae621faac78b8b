"""Logging in: repeated wrong passwords lock the username on that address for a while."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def log_in(client, password: str):
    return client.post(reverse("login"), {"username": "wang", "password": password})


def test_a_right_password_logs_in(client, employee):
    response = log_in(client, "pw-wang-123")

    assert response.status_code == 302
    assert client.get(reverse("contact-list")).status_code == 200


def test_a_wrong_password_says_so(client, employee):
    response = log_in(client, "nope")

    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_repeated_wrong_passwords_lock_the_login_even_with_the_right_one(
    client, employee, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "guess")

    response = log_in(client, "pw-wang-123")

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get(reverse("contact-list")).status_code == 302  # still not logged in


def test_the_session_cookie_is_not_readable_by_scripts(client, employee):
    response = log_in(client, "pw-wang-123")

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
