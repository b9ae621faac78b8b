"""Registering endpoints (issue 21): where a webhook may go (no private, loopback or link-local
address, only https://, unless WEBHOOK_ALLOW_PRIVATE), the API's answers, an endpoint failing for
a day disabled with the admins told, enabling it again sends what waited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLogEntry
from tests.conftest import api_client_for
from webhooks import delivery, services
from webhooks.addresses import AddressRefused, url_check
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_user):
    return api_client_for(admin_user)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://172.16.5.4/hooks",
        "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "https://100.64.0.1/hooks",
        "https://[::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(admin_api, url):
    response = admin_api.post(
        "/api/v1/webhooks/", {"url": url, "events": ["call.ended"]}, format="json"
    )

    assert response.status_code == 400
    assert "WEBHOOK_ALLOW_PRIVATE" in response.json()["url"][0]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://93.184.215.14/hooks", "Only https:// URLs"),
        ("ftp://93.184.215.14/hooks", "Give an https:// URL."),
        ("https://user:pw@93.184.215.14/hooks", "no user name or password"),
        ("https://no-such-host.invalid/hooks", "cannot be found"),
    ],
)
def test_other_urls_are_refused_saying_why(admin_api, url, says):
    response = admin_api.post(
        "/api/v1/webhooks/", {"url": url, "events": ["call.ended"]}, format="json"
    )

    assert response.status_code == 400
    assert says in response.json()["url"][0]


def test_a_public_https_address_is_taken(admin_api):
    response = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/hooks", "events": ["recording.ready", "call.status"]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["events"] == ["call.status", "recording.ready"]  # in the events' own order
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert AuditLogEntry.objects.filter(object_type="WebhookEndpoint", action="create").exists()
    listed = admin_api.get("/api/v1/webhooks/").json()["results"]
    assert [row["url"] for row in listed] == ["https://93.184.215.14/hooks"]
    assert "secret" not in listed[0]
    assert admin_api.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("events", [[], ["call.started"], "call.ended"])
def test_events_must_be_known_ones(admin_api, events):
    response = admin_api.post(
        "/api/v1/webhooks/", {"url": "https://93.184.215.14/h", "events": events}, format="json"
    )

    assert response.status_code == 400
    assert "events" in response.json()


def test_employees_and_finance_cannot_see_or_register_endpoints(api):
    assert api.get("/api/v1/webhooks/").status_code == 403
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/h", "events": ["call.ended"]},
        format="json",
    )
    assert response.status_code == 403


def test_allowed_private_addresses_and_http_when_the_setting_says_so(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True

    url_check("http://127.0.0.1:9000/hooks")
    url_check("https://10.1.2.3/hooks")
    with pytest.raises(AddressRefused):
        url_check("gopher://10.1.2.3/")


@pytest.mark.django_db(transaction=True)
def test_an_address_refused_at_delivery_sends_nothing_and_is_tried_again(
    settings, admin_user, receiver
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    endpoint = services.endpoint_create(actor=admin_user, url=receiver.url, events=["call.ended"])
    message = services.test_event_send(endpoint=endpoint)
    receiver.wait_for(1)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # as if its name now pointed into the network

    services.message_resend(message=message)

    assert len(receiver.received) == 1  # the first, allowed, attempt only
    attempt = WebhookAttempt.objects.order_by("-id").first()
    assert attempt.status_code is None and "Only https://" in attempt.error
    message.refresh_from_db()
    assert message.status == "pending" and message.next_attempt_at is not None


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_failing_for_a_day_is_disabled_and_the_admins_told(
    settings, admin_user, mailoutbox
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    admin_user.email = "boss@example.com"
    admin_user.save()
    # Nothing listens on this port.
    endpoint = services.endpoint_create(
        actor=admin_user, url="http://127.0.0.1:9/hooks", events=["call.ended"]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=24, minutes=1)
    )

    message = services.test_event_send(endpoint=endpoint)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "failed for a day" in endpoint.disabled_reason
    (mail,) = mailoutbox
    assert mail.to == ["boss@example.com"]
    assert "http://127.0.0.1:9/hooks" in mail.subject
    assert f"/members/webhooks/{endpoint.pk}/" in mail.body
    message.refresh_from_db()
    assert message.status == "pending"  # kept for when it answers again
    # While disabled, nothing is tried.
    assert delivery.messages_due_send() == 0


@pytest.mark.django_db(transaction=True)
def test_enabling_again_sends_what_waited(settings, admin_user, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    endpoint = services.endpoint_create(actor=admin_user, url=receiver.url, events=["call.ended"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="x")
    endpoint.refresh_from_db()
    waiting = WebhookMessage.objects.create(
        endpoint=endpoint, event_type="webhook.test", body="{}", attempts=3
    )

    services.endpoint_enable(actor=admin_user, endpoint=endpoint)

    receiver.wait_for(1)
    waiting.refresh_from_db()
    assert waiting.status == "delivered"
