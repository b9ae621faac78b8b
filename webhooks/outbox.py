"""The outbox: a message for each active endpoint that wants the event, written in the transaction
of the change it tells of (the calls' and recordings' signals are sent inside it), and handed to a
worker once that commits. A worker or broker that is away loses nothing: the message waits in its
table, and the sweep (webhooks.delivery.messages_due_send) sends it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone, translation
from rest_framework.utils.encoders import JSONEncoder

from calls.models import Call
from calls.signals import call_status_changed
from clicktodial_portal.celery import task_send
from recordings.models import Recording
from recordings.signals import recording_ready
from webhooks.models import EventType, WebhookEndpoint, WebhookMessage

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.webhook_deliver_task"

# While this holds, calls' one-statement shortcut stands aside (calls.services.progress), so that
# every change of a call goes through a path that sends its signal.
ANY_ENDPOINT_SQL = f"EXISTS (SELECT 1 FROM {WebhookEndpoint._meta.db_table} WHERE is_active)"  # noqa: S608


def body_for(event_type: str, data: dict, *, at: datetime | None = None) -> str:
    """The JSON body Standard Webhooks describes: the event's type, when it happened (ISO 8601,
    UTC), its data; values as the API writes them (DRF's encoder: minutes as numbers)."""
    moment = (at or timezone.now()).astimezone(UTC)
    timestamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(
        {"type": event_type, "timestamp": timestamp, "data": data},
        cls=JSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def call_data(call: Call) -> dict:
    """The call as the API shows it (GET /api/v1/calls/{id}/), in English as the API is."""
    from calls.serializers import CallOutputSerializer

    with translation.override("en"):
        return {"call": CallOutputSerializer(call).data}


def messages_write(
    endpoints: list[WebhookEndpoint], event_type: str, data: dict, *, call_id: int | None
) -> list[WebhookMessage]:
    """A message of `event_type` for each of `endpoints` subscribed to it, sent once committed."""
    wanting = [endpoint for endpoint in endpoints if event_type in endpoint.events]
    if not wanting:
        return []
    body = body_for(event_type, data)
    messages = [
        WebhookMessage.objects.create(
            endpoint=endpoint, event_type=event_type, body=body, call_id=call_id
        )
        for endpoint in wanting
    ]
    for message in messages:
        transaction.on_commit(lambda pk=message.pk: deliver_enqueue(pk))
    return messages


def deliver_enqueue(message_id: int, *, countdown: float | None = None) -> None:
    """Hand the message to a worker; a broker that cannot take it leaves it to the sweep."""
    try:
        task_send(DELIVER_TASK, message_id, countdown=countdown)
    except Exception:  # kombu's OperationalError, an OSError: the message waits for the sweep
        logger.warning("webhook message %s: the broker refused it; the sweep sends it", message_id)


def _endpoints_active() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(is_active=True).only("id", "events"))


@receiver(call_status_changed, dispatch_uid="webhooks-call-status")
def _call_status_changed(sender: object, call: Call, **kwargs: object) -> None:
    endpoints = _endpoints_active()
    if not endpoints:
        return
    # Read again, within the change's transaction: the sender's object may hold relations it read
    # before the change (no debit yet, say) that the change has since written.
    data = call_data(Call.objects.get(pk=call.pk))
    messages_write(endpoints, EventType.CALL_STATUS, data, call_id=call.pk)
    # Once per call: a final status (ended, or failed) never changes again.
    if call.status in Call.FINAL_STATUSES:
        messages_write(endpoints, EventType.CALL_ENDED, data, call_id=call.pk)


@receiver(recording_ready, dispatch_uid="webhooks-recording-ready")
def _recording_ready(sender: object, recording: Recording, **kwargs: object) -> None:
    endpoints = _endpoints_active()
    if not endpoints:
        return
    data = call_data(recording.call)
    data["recording"] = {
        **data["call"]["recording"],
        "format": recording.audio_format,
        "duration_ms": recording.duration_ms,
        "size_bytes": recording.size_bytes,
    }
    messages_write(endpoints, EventType.RECORDING_READY, data, call_id=recording.call_id)
