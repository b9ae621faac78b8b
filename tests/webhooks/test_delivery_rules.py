"""The delivery's rules, case by case (issue 21, after a review): what a message says of a call
settled by hand, when retries start and stop, what the sweep picks, a lease lost during an
attempt, an endpoint quiet after a day of failures, and the address an attempt connects to."""

import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.services.outcomes import Settlement, call_settle
from tests.calls.helpers import call_in
from webhooks import delivery, services, transport
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_webhooks")]


@pytest.fixture
def endpoint(admin_user, receiver) -> WebhookEndpoint:
    return services.endpoint_create(
        actor=admin_user, url=receiver.url, events=["call.status", "call.ended"]
    )


def message_for(endpoint, *, call_id=None, **fields) -> WebhookMessage:
    return WebhookMessage.objects.create(
        endpoint=endpoint, event_type="call.status", body="{}", call_id=call_id, **fields
    )


def test_a_call_settled_by_hand_is_told_with_its_billed_minutes(
    endpoint, admin_user, member, receiver
):
    call = call_in(member, "unknown", quiet_for=timedelta(hours=1))

    call_settle(actor=admin_user, call_id=call.pk, outcome=Settlement.ENDED, duration_seconds=61)

    receiver.wait_for(2)
    messages = receiver.verified(endpoint.secret)
    assert [m["type"] for m in messages] == ["call.status", "call.ended"]
    told = messages[1]["data"]["call"]
    assert (told["status"], told["duration_seconds"], told["billed_minutes"]) == ("ended", 61, 2)


def test_a_failed_call_is_ended_once_too(endpoint, admin_user, member, receiver):
    call = call_in(member, "unknown", quiet_for=timedelta(hours=1))

    call_settle(actor=admin_user, call_id=call.pk, outcome=Settlement.FAILED)

    receiver.wait_for(2)
    types = [m["type"] for m in receiver.verified(endpoint.secret)]
    assert types == ["call.status", "call.ended"]


def test_retries_run_for_a_day_from_the_first_try_not_from_the_writing(endpoint, receiver):
    receiver.answers = [503]
    written_long_ago = message_for(endpoint)
    WebhookMessage.objects.filter(pk=written_long_ago.pk).update(
        window_start=timezone.now() - timedelta(days=2)
    )

    delivery.message_deliver(written_long_ago.pk)

    written_long_ago.refresh_from_db()
    assert written_long_ago.status == "pending" and written_long_ago.next_attempt_at is not None


def test_a_resend_starts_the_schedule_again(settings, endpoint, receiver):
    settings.WEBHOOK_RETRY_DELAYS = [5, 300, 1800]
    given_up = message_for(endpoint, status="failed", attempts=6)
    receiver.answers = [503]

    assert services.message_resend(message=given_up)

    given_up.refresh_from_db()
    assert given_up.attempts == 1
    wait = (given_up.next_attempt_at - timezone.now()).total_seconds()
    assert 0 < wait <= 6  # the first delay again, with its jitter


def test_a_message_being_tried_is_not_resent(endpoint):
    held = message_for(endpoint, leased_until=timezone.now() + timedelta(seconds=30))

    assert not services.message_resend(message=held)


def test_the_sweep_sends_only_each_calls_first_waiting_message(endpoint, monkeypatch):
    later = timezone.now() + timedelta(hours=1)
    first_of_call = message_for(endpoint, call_id=7, next_attempt_at=later)  # not due yet
    message_for(endpoint, call_id=7)  # due, but behind it
    other_call = message_for(endpoint, call_id=8)
    sent = []

    monkeypatch.setattr(
        "webhooks.outbox.task_send", lambda name, pk, countdown=None: sent.append(pk)
    )

    assert delivery.messages_due_send() == 1
    assert sent == [other_call.pk]
    assert first_of_call.pk not in sent


def test_an_answer_after_the_lease_ran_out_is_not_kept(endpoint, monkeypatch):
    message = message_for(endpoint)

    def slow_post(endpoint, message):
        # Meanwhile the lease ran out and the sweep gave the message to another worker.
        WebhookMessage.objects.filter(pk=message.pk).update(
            leased_until=timezone.now() + timedelta(minutes=5)
        )
        return transport.Answer(204, "", "", 50_000)

    monkeypatch.setattr(delivery, "_post", slow_post)
    delivery.message_deliver(message.pk)

    message.refresh_from_db()
    assert (message.status, WebhookAttempt.objects.count()) == ("pending", 0)


def test_the_sweep_disables_an_endpoint_quiet_after_a_day_of_failures(
    endpoint, mailoutbox, admin_user
):
    admin_user.email = "boss@example.com"
    admin_user.save()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=1, minutes=1)
    )

    delivery.messages_due_send()

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert [mail.to for mail in mailoutbox] == [["boss@example.com"]]


def test_an_attempt_connects_to_the_address_checked_not_to_a_second_answer(
    settings, endpoint, monkeypatch
):
    """DNS rebinding: the name answers a public address to the check, then a loopback one. The
    attempt connects to the first, the one checked, and asks the name nothing more."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://rebind.example:8443/hooks")
    answers = iter(["93.184.215.14", "127.0.0.1"])
    asked, connected = [], []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("not on this network")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr("urllib3.util.connection.create_connection", create_connection)
    monkeypatch.setattr("urllib3.connection.connection.create_connection", create_connection)
    message = message_for(endpoint)

    delivery.message_deliver(message.pk)

    assert asked == ["rebind.example"]
    assert connected == [("93.184.215.14", 8443)]
    (attempt,) = WebhookAttempt.objects.all()
    assert "not on this network" in attempt.error


def test_the_body_is_the_standard_webhooks_shape(endpoint, receiver):
    services.test_event_send(endpoint=endpoint)

    receiver.wait_for(1)
    (message,) = receiver.verified(endpoint.secret)
    assert set(message) == {"type", "timestamp", "data"}
    assert message["timestamp"].endswith("Z")
    raw = receiver.accepted()[0]
    assert json.loads(raw.body) == message
    assert raw.headers["webhook-signature"].startswith("v1,")
