"""When a page cannot be shown: the portal's own page in the person's language, with the
navigation and a way back; under /api/, the API's JSON error."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from clicktodial_portal import error_pages

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_a_missing_page_is_the_portals_own_in_the_persons_language(client, employee):
    client.force_login(employee)

    response = client.get("/no/such/page/", **ZH)

    page = response.content.decode()
    assert response.status_code == 404
    assert "找不到页面" in page
    assert reverse("contact-list") in page  # the navigation, to go on from here
    assert f'href="{reverse("home")}"' in page
    assert "Not Found" not in page  # Django's bare page


def test_a_missing_page_offers_a_visitor_the_login(client):
    page = client.get("/no/such/page/").content.decode()

    assert "Page not found" in page
    assert f"{reverse('login')}?next=/no/such/page/" in page


def test_a_page_the_role_may_not_open_is_the_portals_403(client, employee):
    client.force_login(employee)

    response = client.get(reverse("member-list"), **ZH)

    assert response.status_code == 403
    assert "您无权打开此页面" in response.content.decode()


def test_a_request_the_portal_cannot_understand_is_the_portals_400(client):
    response = client.get("/", HTTP_HOST="evil.example")  # DisallowedHost: a 400

    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


def test_an_unexpected_error_is_the_portals_500(employee):
    request = RequestFactory().get("/calls/", **ZH)
    request.user = employee

    response = error_pages.server_error(request)

    assert response.status_code == 500
    assert "出错了" in response.content.decode()


def test_a_500_that_cannot_render_its_page_still_answers_plainly(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database is away")

    monkeypatch.setattr(error_pages, "render", broken)

    response = error_pages.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b'href="/"' in response.content


@pytest.mark.parametrize("path", ["/api/v1/calls/abc/", "/api/v1/no-such-thing/"])
def test_under_the_api_errors_are_json(path, employee):
    client = Client()
    client.force_login(employee)

    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Page not found"}
