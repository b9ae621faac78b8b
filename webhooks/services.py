"""What admins do with endpoints: register one (its secret shown once), remove it, enable it
again, send it a test event, resend a message; and the mail when the portal disabled one."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from audit.services import audit_record
from clicktodial_portal.celery import task_send_on_commit
from webhooks.addresses import AddressRefused, url_check
from webhooks.models import TEST_EVENT, EventType, WebhookEndpoint, WebhookMessage
from webhooks.outbox import body_for, deliver_enqueue

SWEEP_TASK = "webhooks.tasks.webhook_messages_due_task"


class EndpointInvalid(ValueError):
    """What is wrong with an endpoint as given, and in which field, for the admin who gave it."""

    http_status = 400

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def events_checked(events: list[str]) -> list[str]:
    known = set(EventType.values)
    unknown = [event for event in events if event not in known]
    if not events or unknown:
        raise EndpointInvalid(
            _("Choose events among %(known)s.") % {"known": ", ".join(EventType.values)},
            field="events",
        )
    return [event for event in EventType.values if event in events]  # known order, once each


def endpoint_create(
    *, actor: AbstractBaseUser, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    try:
        url_check(url)
    except AddressRefused as exc:
        raise EndpointInvalid(exc.message, field="url") from None
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url, events=events_checked(events), description=description, created_by=actor
        )
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.CREATE,
            obj=endpoint,
            after={"url": url, "events": endpoint.events},
        )
    return endpoint


def endpoint_delete(*, actor: AbstractBaseUser, endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.REMOVE,
            obj=endpoint,
            before={"url": endpoint.url, "events": endpoint.events},
        )
        endpoint.delete()


def endpoint_enable(*, actor: AbstractBaseUser, endpoint: WebhookEndpoint) -> None:
    """Enabled again: its waiting messages go out at once (the sweep's next run, or now)."""
    with transaction.atomic():
        endpoint.is_active, endpoint.failing_since, endpoint.disabled_reason = True, None, ""
        endpoint.save(update_fields=["is_active", "failing_since", "disabled_reason", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            obj=endpoint,
            before={"is_active": False},
            after={"is_active": True},
        )
        # Each waiting message tried again at once, with a day of retries from its next try.
        waiting = WebhookMessage.objects.filter(
            endpoint=endpoint, status=WebhookMessage.Status.PENDING
        ).update(attempts=0, next_attempt_at=None)
    if waiting:
        task_send_on_commit(SWEEP_TASK)


def test_event_send(*, endpoint: WebhookEndpoint) -> WebhookMessage:
    """A `webhook.test` message to this endpoint alone, whatever it subscribes to."""
    body = body_for(
        TEST_EVENT,
        {"endpoint": endpoint.pk, "message": "A test event sent from the Click-to-Dial portal."},
    )
    with transaction.atomic():
        message = WebhookMessage.objects.create(endpoint=endpoint, event_type=TEST_EVENT, body=body)
        transaction.on_commit(lambda: deliver_enqueue(message.pk))
    return message


def message_resend(*, message: WebhookMessage) -> bool:
    """The same message (the same id, so a receiver that has it drops the repeat) sent again, with
    a day of retries from its next try; not one a worker is trying now. Whether it is."""
    now = timezone.now()
    with transaction.atomic():
        resent = (
            WebhookMessage.objects.filter(pk=message.pk)
            .exclude(leased_until__gt=now)
            .update(
                status=WebhookMessage.Status.PENDING,
                attempts=0,
                next_attempt_at=None,
                leased_until=None,
                delivered_at=None,
            )
        )
        if resent:
            transaction.on_commit(lambda: deliver_enqueue(message.pk))
    return bool(resent)


def endpoint_disabled_tell(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=False).first()
    if endpoint is None:
        return
    admins = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    recipients = sorted({user.email for user in admins})
    if not recipients:
        return
    link = settings.PORTAL_BASE_URL + reverse("webhook-detail", args=[endpoint.pk])
    send_mail(
        subject=_("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url},
        message=_(
            "Every delivery to %(url)s failed for a day, so the portal stopped sending to it. "
            "Its messages are kept. Once the endpoint answers again, enable it on %(link)s: "
            "what is waiting is sent then."
        )
        % {"url": endpoint.url, "link": link},
        from_email=None,
        recipient_list=recipients,
    )
