"""The client's address behind a trusted proxy: REMOTE_ADDR taken from X-Forwarded-For.

Behind nginx or a load balancer every request arrives from the proxy's address, but what the
operator's allow-list (OPERATOR_NOTIFY_ALLOWED_IPS) and the login lock-out (django-axes, by
username and address) must see is the client's. Each proxy appends the address it received the
request from to X-Forwarded-For; only proxies in FORWARDED_ALLOW_IPS (gunicorn's setting of the
same name reads it too) are believed. Walking the list from its end, the client is the first
address that is not such a proxy: anything before it, the client could have written itself.

X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) is likewise believed only from such a proxy: from any
other peer it is dropped here, before SecurityMiddleware, CSRF or anything else asks
request.is_secure(), or a client talking plain HTTP straight to the portal could pass for HTTPS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.FORWARDED_ALLOW_NETWORKS)


class ForwardedForMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        client = request.META.get("REMOTE_ADDR", "")
        # The peer itself, before REMOTE_ADDR is rewritten below: only it can vouch for the scheme.
        if not _trusted(client):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        if forwarded:
            for address in reversed([part.strip() for part in forwarded.split(",")]):
                if not _trusted(client):
                    break  # an address no proxy of ours vouches for: it is the client
                try:
                    ipaddress.ip_address(address)
                except ValueError:
                    break  # not an address: the proxy's own is kept
                client = address
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
