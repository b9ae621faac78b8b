"""Delivering a message: signed as Standard Webhooks says (with the `standardwebhooks` package),
sent with requests, each attempt kept; retried with backoff and jitter for a day; a call's messages
to an endpoint in the order they were written; an endpoint failing for a day disabled, the admins
told."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from webhooks.addresses import AddressRefused, url_check
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

logger = logging.getLogger(__name__)

Status = WebhookMessage.Status
USER_AGENT = "ClickToDial-Webhooks/1.0"
EXCERPT_CHARACTERS = 500
# Messages the sweep hands to workers at once; the rest wait for its next run.
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(endpoint: WebhookEndpoint, message: WebhookMessage, at: datetime) -> dict:
    """The three headers of the Standard Webhooks spec, and the body's type."""
    signature = Webhook(endpoint.secret).sign(message.message_id, at, message.body)
    return {
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _post(endpoint: WebhookEndpoint, message: WebhookMessage) -> Answer:
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        url_check(endpoint.url)
    except AddressRefused as exc:
        return Answer(None, "", exc.message[:300], 0)
    headers = signed_headers(endpoint, message, timezone.now())
    try:
        response = requests.post(
            endpoint.url,
            data=message.body.encode(),
            headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_TIMEOUT),
            # A redirect could lead anywhere (an internal address): the endpoint's answer counts.
            allow_redirects=False,
        )
    except requests.Timeout:
        return Answer(
            None, "", _("No answer within %(s)s s.") % {"s": settings.WEBHOOK_TIMEOUT}, took()
        )
    except requests.RequestException as exc:
        return Answer(None, "", f"{type(exc).__name__}: {exc}"[:300], took())
    excerpt = response.text[:EXCERPT_CHARACTERS] if response.content else ""
    return Answer(response.status_code, excerpt, "", took())


def _retry_at(message: WebhookMessage, now: datetime) -> datetime | None:
    """When to try again after attempt number `message.attempts` failed, or None: given up. The
    schedule's delays (each with jitter: 80 % to 120 %), within a day of the message's first try
    (or its resend); the last try falls at that day's end."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    delay = delays[min(message.attempts - 1, len(delays) - 1)]
    later = now + timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311 - spreading
    deadline = message.window_start + timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD)
    if later <= deadline:
        return later
    return deadline if now < deadline else None


def message_deliver(message_id: int) -> None:
    """One attempt at a due message, unless another worker holds it or an earlier message of its
    call to the same endpoint is still waiting (that one's delivery sends this one next)."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=message_id, status=Status.PENDING)
            .first()
        )
        if message is None or not message.endpoint.is_active:
            return
        if (message.leased_until and message.leased_until > now) or (
            message.next_attempt_at and message.next_attempt_at > now
        ):
            return
        if _earlier_waiting(message):
            return
        message.attempts += 1
        message.leased_until = now + timedelta(
            seconds=settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_TIMEOUT + 30
        )
        message.save(update_fields=["attempts", "leased_until"])
    endpoint = message.endpoint
    answer = _post(endpoint, message)
    _answer_keep(message, answer)
    if message.status != Status.PENDING:
        _next_of_call_send(message)
    elif message.next_attempt_at is not None:
        wait = (message.next_attempt_at - timezone.now()).total_seconds()
        if wait <= settings.TASK_COUNTDOWN_LIMIT:
            from webhooks.outbox import deliver_enqueue

            deliver_enqueue(message.pk, countdown=max(wait, 0))
        # A longer wait is the sweep's: it sends the message once due.


def _earlier_waiting(message: WebhookMessage) -> bool:
    if message.call_id is None:
        return False
    return WebhookMessage.objects.filter(
        endpoint_id=message.endpoint_id,
        call_id=message.call_id,
        status=Status.PENDING,
        id__lt=message.pk,
    ).exists()


def _answer_keep(message: WebhookMessage, answer: Answer) -> None:
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            message=message,
            status_code=answer.status_code,
            excerpt=answer.excerpt,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
        message.leased_until = None
        if answer.succeeded:
            message.status, message.delivered_at, message.next_attempt_at = (
                Status.DELIVERED,
                now,
                None,
            )
        else:
            message.next_attempt_at = _retry_at(message, now)
            if message.next_attempt_at is None:
                message.status = Status.FAILED
        message.save(update_fields=["status", "delivered_at", "next_attempt_at", "leased_until"])
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=message.endpoint_id)
        if answer.succeeded:
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
        elif endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since", "updated_at"])
        elif endpoint.is_active and now - endpoint.failing_since >= timedelta(
            seconds=settings.WEBHOOK_RETRY_PERIOD
        ):
            _disable(endpoint)
    if not answer.succeeded:
        logger.warning(
            "webhook message %s to %s failed (attempt %s): %s",
            message.message_id,
            message.endpoint.url,
            message.attempts,
            answer.status_code or answer.error,
        )


def _disable(endpoint: WebhookEndpoint) -> None:
    """A day of failures: the endpoint takes no more messages until an admin enables it again;
    its waiting ones stay, and go out then. The admins are told by e-mail once this commits."""
    from clicktodial_portal.celery import task_send_on_commit

    endpoint.is_active = False
    endpoint.disabled_reason = _("Every delivery failed for a day; disabled by the portal.")
    endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    task_send_on_commit("webhooks.tasks.endpoint_disabled_tell_task", endpoint.pk)


def _next_of_call_send(message: WebhookMessage) -> None:
    """The next waiting message of the same call to the same endpoint, now that this one is done."""
    if message.call_id is None:
        return
    following = (
        WebhookMessage.objects.filter(
            endpoint_id=message.endpoint_id,
            call_id=message.call_id,
            status=Status.PENDING,
            id__gt=message.pk,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        from webhooks.outbox import deliver_enqueue

        deliver_enqueue(following)


def messages_due_send(now: datetime | None = None) -> int:
    """The sweep: hand every due message of an active endpoint to a worker (the first of each
    call's, the rest follow it); the task a broker lost, or a worker killed mid-attempt, included
    (its lease runs out). Returns how many were sent."""
    from django.db.models import Q

    from webhooks.outbox import deliver_enqueue

    now = now or timezone.now()
    due = (
        WebhookMessage.objects.filter(status=Status.PENDING, endpoint__is_active=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .order_by("id")
        .values_list("pk", "endpoint_id", "call_id")[:SWEEP_BATCH]
    )
    sent, seen_calls = 0, set()
    for pk, endpoint_id, call_id in due:
        if call_id is not None:
            if (endpoint_id, call_id) in seen_calls:
                continue
            seen_calls.add((endpoint_id, call_id))
        deliver_enqueue(pk)
        sent += 1
    return sent
