"""Webhooks end to end (issue 21): an endpoint registered by API, a sandbox call placed, and a
receiver started by the test gets `call.status` for each status in order, one `call.ended` and
`recording.ready`, each verified with the standardwebhooks package; deliveries survive the
receiver being down for a while and the broker refusing the task (a worker killed while it
delivers: test_worker_killed.py)."""

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from calls.models import Call
from tests.calls.helpers import wait_for
from tests.conftest import api_client_for
from tests.recordings.conftest import settled_recording
from webhooks import delivery
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker", "quick_webhooks"),
]

EVERY_EVENT = ["call.status", "call.ended", "recording.ready"]


@pytest.fixture
def admin_api(admin_user):
    return api_client_for(admin_user)


def endpoint_register(admin_api, url: str) -> dict:
    response = admin_api.post(
        "/api/v1/webhooks/", {"url": url, "events": EVERY_EVENT}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def place(api, callee: str) -> int:
    response = api.post(reverse("api-call-list"), {"callee": callee}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_a_call_is_told_in_order_signed_once_ended_and_its_recording_ready(
    api, admin_api, member, sandbox, receiver
):
    endpoint = endpoint_register(admin_api, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["events"] == EVERY_EVENT
    # The secret is shown once: in the answer that made the endpoint.
    shown = admin_api.get(f"/api/v1/webhooks/{endpoint['id']}/").json()
    assert "secret" not in shown

    call_id = place(api, "+8613800000001")
    settled_recording(call_id)
    receiver.wait_for(8)

    messages = receiver.verified(endpoint["secret"])
    statuses = [m["data"]["call"]["status"] for m in messages if m["type"] == "call.status"]
    assert statuses == [
        "queued",
        "dialing",
        "calling_caller",
        "calling_callee",
        "connected",
        "ended",
    ]
    (ended,) = [m for m in messages if m["type"] == "call.ended"]
    assert ended["data"]["call"]["id"] == call_id
    assert (ended["data"]["call"]["duration_seconds"], ended["data"]["call"]["billed_minutes"]) == (
        20,
        1,
    )
    (ready,) = [m for m in messages if m["type"] == "recording.ready"]
    assert [m["type"] for m in messages][-1] == "recording.ready"  # after its call's end
    audio = api.get(ready["data"]["recording"]["url"])
    assert audio.status_code == 200
    assert (
        b"".join(audio.streaming_content)
        == sandbox.recordings[Call.objects.get(pk=call_id).recording_id]
    )
    assert ready["data"]["recording"]["format"] == "wav"
    # Each message its own id, signed, with the time it was sent.
    ids = [item.headers["webhook-id"] for item in receiver.accepted()]
    assert len(set(ids)) == len(ids) == 8
    assert all(item.headers["Content-Type"] == "application/json" for item in receiver.accepted())


def test_a_receiver_down_for_a_while_gets_everything_in_order(
    api, admin_api, member, sandbox, receiver
):
    endpoint = endpoint_register(admin_api, receiver.url)
    receiver.answers = [503, 503, 500]

    call_id = place(api, "+8613800000002")  # the callee is busy
    wait_for(call_id, lambda call: call.status == "ended")
    receiver.wait_for(6)

    messages = receiver.verified(endpoint["secret"])
    statuses = [m["data"]["call"]["status"] for m in messages if m["type"] == "call.status"]
    assert statuses == ["queued", "dialing", "calling_caller", "calling_callee", "ended"]
    assert [m["type"] for m in messages].count("call.ended") == 1
    failed = WebhookAttempt.objects.filter(status_code__gte=500)
    assert failed.count() == 3
    assert failed.first().excerpt == '{"error": "try later"}'
    # Only the first message was refused: the later ones waited for it, then went in order.
    first = WebhookMessage.objects.order_by("id").first()
    assert set(failed.values_list("message", flat=True)) == {first.pk}
    assert first.attempts == 4 and first.status == "delivered"
    assert WebhookEndpoint.objects.get().failing_since is None  # it answers again


def test_a_message_the_broker_refused_is_sent_by_the_sweep(
    api, admin_api, member, receiver, monkeypatch
):
    endpoint = endpoint_register(admin_api, receiver.url)

    def broker_away(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr("webhooks.outbox.task_send", broker_away)
    call_id = place(api, "+8613800000001")
    message = WebhookMessage.objects.get(call_id=call_id)  # queued: kept though not sent
    assert (message.status, message.attempts) == ("pending", 0)
    monkeypatch.undo()

    assert delivery.messages_due_send() >= 1
    receiver.wait_for(1)
    (queued, *_) = receiver.verified(endpoint["secret"])
    assert queued["data"]["call"]["status"] == "queued"
