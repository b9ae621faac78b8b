"""Celery tasks for recordings: thin wrappers that take a primary key and call one service."""

from celery import shared_task
from django.conf import settings

from clicktodial_portal.logs import call_logging
from recordings import services
from recordings.models import Recording


@shared_task(
    soft_time_limit=settings.RECORDING_DOWNLOAD_TIME_LIMIT,
    time_limit=settings.RECORDING_DOWNLOAD_TIME_LIMIT + 60,
)
def recording_download_task(recording_id: int) -> None:
    call_id = Recording.objects.filter(pk=recording_id).values_list("call_id", flat=True).first()
    if call_id is None:
        return
    with call_logging(call_id=call_id):
        outcome = services.recording_download(recording_id=recording_id)
    if outcome.retry_in is not None and outcome.retry_in <= settings.TASK_COUNTDOWN_LIMIT:
        recording_download_task.apply_async((recording_id,), countdown=outcome.retry_in)
    # A longer wait is left to recordings_download_due, which sends the task once it is due: a
    # task a worker held that long would outlast the broker's patience (Redis' visibility
    # timeout, RabbitMQ's consumer timeout) and be handed out twice.


@shared_task
def recordings_download_due_task() -> None:
    services.recordings_download_due()


@shared_task
def recordings_expire_task() -> None:
    services.recordings_expire()
