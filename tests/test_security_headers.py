"""The headers a security review expects: a Content-Security-Policy that forbids inline script,
with the templates written to it, and X-Forwarded-Proto believed only from our own proxies
(FORWARDED_ALLOW_IPS), so that a client talking to the portal directly cannot pass for HTTPS.
That no page breaks the policy in a browser is tested in tests/browser/test_pages.py."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from clicktodial_portal import settings as portal_settings
from clicktodial_portal.forwarded import ForwardedForMiddleware

TEMPLATES = Path(portal_settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/contacts/", "/admin/", "/api/docs/"])
def test_the_policy_forbids_inline_script_and_style(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["media-src"][0] == "'self'"
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_url(admin_client):
    # Swagger UI's start-up script, inline in drf-spectacular's own page, comes from ?script.
    page = admin_client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page
    script = admin_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")


# What a browser would run or apply from the markup itself, which the policy blocks.
INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "an hx-on handler": re.compile(r"\shx-on", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "a style attribute or <style>": re.compile(r"\sstyle\s*=|<style", re.IGNORECASE),
}


def test_no_template_has_inline_script_or_style():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in TEMPLATES.rglob("*.html")
        for what, pattern in INLINE.items()
        if pattern.search(re.sub(r"{#.*?#}", "", path.read_text(), flags=re.DOTALL))
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("endpoint", "region", "style", "expected"),
    [
        (
            "https://minio.example.com:9000",
            None,
            None,
            ["https://minio.example.com:9000", "https://calls.minio.example.com:9000"],
        ),
        (
            None,
            "cn-north-1",
            None,
            [
                "https://calls.s3.amazonaws.com",
                "https://calls.s3.cn-north-1.amazonaws.com",
                "https://s3.cn-north-1.amazonaws.com",
            ],
        ),
    ],
)
def test_media_src_allows_the_storage_the_audio_is_redirected_to(
    monkeypatch, endpoint, region, style, expected
):
    monkeypatch.setattr(portal_settings, "RECORDING_DELIVERY", "storage-url")
    monkeypatch.setattr(portal_settings, "AWS_STORAGE_BUCKET_NAME", "calls")
    options = {"endpoint_url": endpoint, "region_name": region, "addressing_style": style}
    monkeypatch.setattr(portal_settings, "_recordings_storage", {"OPTIONS": options})
    assert portal_settings._recording_storage_origins() == expected

    monkeypatch.setattr(portal_settings, "RECORDING_DELIVERY", "django")
    assert portal_settings._recording_storage_origins() == []  # streamed by the portal itself


# --- X-Forwarded-Proto, from our proxy and from anyone else ---------------------------------

PROXY = "10.0.0.5"
STRANGER = "203.0.113.9"


@pytest.fixture
def behind_a_proxy(settings):
    settings.FORWARDED_ALLOW_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def seen_as_secure(remote: str, **headers) -> bool:
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    ForwardedForMiddleware(view)(request)
    return seen["secure"]


@pytest.mark.usefixtures("behind_a_proxy")
def test_https_is_believed_only_from_our_proxy():
    assert seen_as_secure(PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert seen_as_secure(PROXY, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR=STRANGER)
    assert not seen_as_secure(STRANGER, HTTP_X_FORWARDED_PROTO="https")
    # Nor by naming our proxy in X-Forwarded-For: the peer is what counts.
    assert not seen_as_secure(STRANGER, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR=PROXY)


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_a_proxy")
def test_plain_http_from_a_stranger_is_still_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    from_stranger = client.get(
        "/accounts/login/", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_PROTO="https"
    )
    assert from_stranger.status_code == 301
    assert from_stranger.headers["Location"].startswith("https://")
    from_proxy = client.get("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert from_proxy.status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_a_proxy")
def test_csrf_judges_the_referer_by_the_real_scheme():
    # Over HTTPS, CSRF refuses a POST whose Referer is a plain-HTTP page ("Referer is insecure
    # while host is secure"); over plain HTTP it does not check the Referer. The proxy's word
    # decides which; a stranger's X-Forwarded-Proto does not.
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")
    form = {
        "username": "nobody",
        "password": "x",
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
    }

    def post_from(remote: str) -> int:
        return browser.post(
            "/accounts/login/",
            form,
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_REFERER="http://testserver/accounts/login/",
        ).status_code

    assert post_from(PROXY) == 403  # taken for HTTPS: the plain-HTTP Referer is refused
    assert post_from(STRANGER) == 200  # plain HTTP, as it really is: the form, with its error


@pytest.mark.django_db
def test_only_drfs_browsable_pages_allow_inline_style(admin_client):
    # DRF's templates use style attributes; its HTML alone relaxes style-src, never script-src.
    browsable = policy(admin_client.get("/api/v1/", HTTP_ACCEPT="text/html"))
    assert browsable["style-src"] == ["'self'", "'unsafe-inline'"]
    assert browsable["script-src"] == ["'self'"]
    as_json = policy(admin_client.get("/api/v1/", HTTP_ACCEPT="application/json"))
    assert as_json["style-src"] == ["'self'"]
