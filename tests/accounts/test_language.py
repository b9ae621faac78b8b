"""The interface language: the user's own choice, kept with the account, then the browser's."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Preference

pytestmark = pytest.mark.django_db


def choose(client, language: str, next_url: str = "/calls/"):
    return client.post(reverse("language-set"), {"language": language, "next": next_url})


def html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_without_a_choice_the_browser_language_is_used(client, employee):
    client.force_login(employee)

    response = client.get(reverse("contact-list"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert html_lang(response) == "zh-hans"
    english = client.get(reverse("contact-list"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert html_lang(english) == "en"


def test_a_choice_is_kept_with_the_account_and_beats_the_browser(client, employee):
    client.force_login(employee)

    response = choose(client, "zh-hans")

    assert response.status_code == 302
    assert response["Location"] == "/calls/"
    assert Preference.objects.get(user=employee).language == "zh-hans"
    page = client.get(reverse("contact-list"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert html_lang(page) == "zh-hans"


def test_the_saved_choice_follows_the_user_to_another_device(client, employee):
    client.force_login(employee)
    choose(client, "zh-hans")

    other_device = Client()
    other_device.post(reverse("login"), {"username": "wang", "password": "pw-wang-123"})
    page = other_device.get(reverse("contact-list"), HTTP_ACCEPT_LANGUAGE="en-US")

    assert html_lang(page) == "zh-hans"


def test_an_anonymous_visitor_can_choose_on_the_login_page(client):
    response = choose(client, "zh-hans", next_url=reverse("login"))

    assert response.status_code == 302
    assert client.cookies["django_language"].value == "zh-hans"
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"
    assert not Preference.objects.exists()


def test_a_choice_made_before_logging_in_is_kept_with_the_account(client, employee):
    choose(client, "zh-hans", next_url=reverse("login"))

    client.post(reverse("login"), {"username": "wang", "password": "pw-wang-123"})

    assert Preference.objects.get(user=employee).language == "zh-hans"


def test_a_saved_choice_beats_the_cookie_of_a_shared_computer(client, employee):
    Preference.objects.create(user=employee, language="en")
    choose(client, "zh-hans", next_url=reverse("login"))

    client.post(reverse("login"), {"username": "wang", "password": "pw-wang-123"})

    assert html_lang(client.get(reverse("contact-list"))) == "en"
    assert Preference.objects.get(user=employee).language == "en"


def test_an_unknown_language_is_refused_and_changes_nothing(client, employee):
    client.force_login(employee)

    response = choose(client, "klingon")

    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_next_may_not_lead_to_another_site(client, employee):
    client.force_login(employee)

    response = choose(client, "en", next_url="https://evil.example/")

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
