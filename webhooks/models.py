"""Endpoints, the messages kept for each (the outbox), and every attempt to deliver one."""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Standard Webhooks' secret: "whsec_" and 24 to 64 random bytes in base64.
SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def message_id_new() -> str:
    return f"msg_{uuid.uuid4().hex}"


class EventType(models.TextChoices):
    # Translators: a kind of webhook event; the code is what the enterprise's system receives.
    CALL_STATUS = "call.status", _("A call's status changed")
    CALL_ENDED = "call.ended", _("A call ended")
    RECORDING_READY = "recording.ready", _("A recording is ready")


# Sent only by an admin's "Send a test event", never subscribed to.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    """Where an enterprise's system wants to hear of `events`. Disabled (by an admin, or by the
    portal after a day of failing deliveries) it receives nothing until enabled again."""

    url = models.URLField(max_length=1000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, default=secret_new)
    is_active = models.BooleanField(default=True)
    # Since when every delivery has failed (None while they succeed), and why it was disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    """One event for one endpoint, kept with the transaction that made it, delivered by a task.

    Its id (`msg_…`, the `webhook-id` header) is the same on every attempt, so that the receiver
    can drop a repeat. A call's messages to an endpoint go out in the order they were written."""

    class Status(models.TextChoices):
        # Translators: where a webhook message stands.
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=40, unique=True, default=message_id_new)
    event_type = models.CharField(max_length=40)
    # The body as sent, its bytes signed: kept as text so that every attempt sends the same.
    body = models.TextField()
    call_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Retries go on for a day from here: its first try, or its first after a resend or after its
    # endpoint was enabled again.
    window_start = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the message until then; a worker that died lets go when it passes.
    leased_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhooks_message_due_idx",
            ),
            models.Index(fields=["endpoint", "call_id", "id"], name="webhooks_message_call_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at delivering a message: what the endpoint answered, or why nothing came back."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The start of the answer's body, or the error (a timeout, a refused connection).
    excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
