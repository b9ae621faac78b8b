"""Behind a proxy: the client's address from X-Forwarded-For, believed only from our proxies, so
that the operator's allow-list and the login lock-out see the client, not the proxy."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from clicktodial_portal.forwarded import ForwardedForMiddleware
from tests.calls.helpers import basic, body


def client_address(remote: str, forwarded: str | None, settings, trusted: list[str]) -> str:
    import ipaddress

    settings.FORWARDED_ALLOW_NETWORKS = [ipaddress.ip_network(n) for n in trusted]
    seen = {}

    def view(request):
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    ForwardedForMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))
    return seen["address"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # our proxy says who asked
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # what the client wrote: ignored
        ("127.0.0.1", "198.51.100.7, 10.0.0.5", "198.51.100.7"),  # through two of our proxies
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not our proxy: not believed
        ("127.0.0.1", "not-an-address", "127.0.0.1"),  # nonsense: the proxy's own kept
        ("127.0.0.1", None, "127.0.0.1"),  # no header: as it came
    ],
)
def test_the_client_address(settings, remote, forwarded, client):
    trusted = ["127.0.0.1/32", "10.0.0.0/8"]
    assert client_address(remote, forwarded, settings, trusted) == client


@pytest.mark.django_db
def test_the_operators_allow_list_sees_the_client_behind_the_proxy(client, settings):
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["198.51.100.0/24"]

    def notify_through_the_proxy(forwarded_for: str):
        return client.post(
            reverse("operator-status-notify", args=["A010B020"]),
            data=json.dumps(body("CallingCaller")),
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(),
            HTTP_X_FORWARDED_FOR=forwarded_for,  # the test client comes from 127.0.0.1
        )

    assert notify_through_the_proxy("198.51.100.7").status_code != 403
    assert notify_through_the_proxy("6.6.6.6").status_code == 403
