"""Celery tasks for webhooks: thin wrappers that take a primary key and call one service."""

from celery import shared_task

from webhooks import delivery, services


@shared_task
def webhook_deliver_task(message_id: int) -> None:
    delivery.message_deliver(message_id)


@shared_task
def webhook_messages_due_task() -> None:
    delivery.messages_due_send()


@shared_task
def endpoint_disabled_tell_task(endpoint_id: int) -> None:
    services.endpoint_disabled_tell(endpoint_id)
