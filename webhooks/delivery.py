"""Delivering a message: signed as Standard Webhooks says (with the `standardwebhooks` package),
sent by webhooks.transport, each attempt kept; retried with backoff and jitter for a day from its
first try; a call's messages to an endpoint in the order they were written; an endpoint failing
for a day disabled, the admins told.

A worker holds a message by a lease (`leased_until`) while it tries it, and keeps its answer only
if it still holds that lease: a worker that died lets go when the lease runs out, and the sweep
hands the message to another."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from clicktodial_portal.fields import fitted
from webhooks import transport
from webhooks.addresses import AddressRefused, url_check
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from webhooks.outbox import deliver_enqueue

logger = logging.getLogger(__name__)

Status = WebhookMessage.Status
USER_AGENT = "ClickToDial-Webhooks/1.0"
# Messages the sweep hands to workers at once; the rest wait for its next run.
SWEEP_BATCH = 500
DISABLED_TELL_TASK = "webhooks.tasks.endpoint_disabled_tell_task"


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


def _lease_seconds() -> float:
    # The attempt's own bounds (transport.post), and room to keep its answer.
    return settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_TIMEOUT + 30


def _post(endpoint: WebhookEndpoint, message: WebhookMessage) -> transport.Answer:
    try:
        address = url_check(endpoint.url)
    except AddressRefused as exc:
        return transport.Answer(None, "", exc.message, 0)
    return transport.post(
        endpoint.url,
        message.body.encode(),
        signed_headers(endpoint, message, timezone.now()),
        address=address,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        timeout=settings.WEBHOOK_TIMEOUT,
    )


def _retry_at(message: WebhookMessage, now: datetime) -> datetime | None:
    """When to try again after attempt number `message.attempts` failed, or None: given up. The
    schedule's delays, each with jitter (80 % to 120 %), within a day of the first try of this
    window (the message's first, or the first after a resend or after its endpoint was enabled);
    the last try falls near that day's end."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    delay = delays[min(message.attempts - 1, len(delays) - 1)]
    later = now + timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311 - spreading
    deadline = message.window_start + timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD)
    if later <= deadline:
        return later
    if now >= deadline:
        return None
    return deadline - timedelta(seconds=random.uniform(0, 60))  # noqa: S311 - spreading


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
        if message.attempts == 0:
            message.window_start = now
        message.attempts += 1
        message.leased_until = now + timedelta(seconds=_lease_seconds())
        message.save(update_fields=["attempts", "window_start", "leased_until"])
    answer = _post(message.endpoint, message)
    if not _answer_keep(message, answer):
        return
    if message.status != Status.PENDING:
        _next_of_call_send(message)
    elif message.next_attempt_at is not None:
        wait = (message.next_attempt_at - timezone.now()).total_seconds()
        if wait <= settings.TASK_COUNTDOWN_LIMIT:
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


def _answer_keep(message: WebhookMessage, answer: transport.Answer) -> bool:
    """Keep the attempt and its consequences, if this worker still holds the message (its lease
    unchanged: not run out and taken by another, not deleted with its endpoint). Whether kept."""
    now = timezone.now()
    lease = message.leased_until
    with transaction.atomic():
        held = (
            WebhookMessage.objects.select_for_update()
            .filter(pk=message.pk, status=Status.PENDING, leased_until=lease)
            .exists()
        )
        if not held:
            logger.warning(
                "webhook message %s: its lease ran out during the attempt; the answer (%s) is "
                "not kept, another worker has it",
                message.message_id,
                answer.status_code or answer.error,
            )
            return False
        WebhookAttempt.objects.create(
            message=message,
            status_code=answer.status_code,
            excerpt=fitted(WebhookAttempt, "excerpt", answer.excerpt),
            error=fitted(WebhookAttempt, "error", answer.error),
            duration_ms=answer.duration_ms,
        )
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=message.endpoint_id)
        message.leased_until = None
        if answer.succeeded:
            message.status, message.delivered_at = Status.DELIVERED, now
            message.next_attempt_at = None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
        elif _failing_for_a_day(endpoint, now):
            # It waits, untried, for the endpoint to be enabled again.
            message.next_attempt_at = None
            _disable(endpoint)
        else:
            message.next_attempt_at = _retry_at(message, now)
            if message.next_attempt_at is None:
                message.status = Status.FAILED
            if endpoint.failing_since is None:
                endpoint.failing_since = now
                endpoint.save(update_fields=["failing_since", "updated_at"])
        message.save(update_fields=["status", "delivered_at", "next_attempt_at", "leased_until"])
    if not answer.succeeded:
        logger.warning(
            "webhook message %s to %s failed (attempt %s): %s",
            message.message_id,
            endpoint.url,
            message.attempts,
            answer.status_code or answer.error,
        )
    return True


def _failing_for_a_day(endpoint: WebhookEndpoint, now: datetime) -> bool:
    return endpoint.failing_since is not None and now - endpoint.failing_since >= timedelta(
        seconds=settings.WEBHOOK_RETRY_PERIOD
    )


def _disable(endpoint: WebhookEndpoint) -> None:
    """A day of failures: the endpoint takes no more messages until an admin enables it again;
    its waiting ones stay, and go out then. The admins are told by e-mail once this commits."""
    from clicktodial_portal.celery import task_send_on_commit

    endpoint.is_active = False
    endpoint.disabled_reason = _("Every delivery failed for a day; disabled by the portal.")
    endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    task_send_on_commit(DISABLED_TELL_TASK, endpoint.pk)


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
        deliver_enqueue(following)


def messages_due_send(now: datetime | None = None) -> int:
    """The sweep: hand every due message of an active endpoint to a worker (only the first
    waiting message of each call: the rest follow it), the ones a broker lost or a dead worker
    held (its lease run out) included; and disable the endpoints failing for a day that no
    attempt has disabled yet (one quiet after its last failure). Returns how many were sent."""
    now = now or timezone.now()
    for endpoint in WebhookEndpoint.objects.filter(
        is_active=True,
        failing_since__lte=now - timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD),
    ):
        with transaction.atomic():
            locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
            if locked.is_active and _failing_for_a_day(locked, now):
                _disable(locked)
    earlier = WebhookMessage.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        call_id=OuterRef("call_id"),
        status=Status.PENDING,
        id__lt=OuterRef("id"),
    )
    due = (
        WebhookMessage.objects.filter(status=Status.PENDING, endpoint__is_active=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .filter(~Exists(earlier))
        .order_by("id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = 0
    for pk in due:
        deliver_enqueue(pk)
        sent += 1
    return sent
