"""Celery tasks for calls: thin wrappers that take a primary key and call one service."""

import random

from celery import shared_task
from django.conf import settings

from calls import services
from calls.models import Call
from clicktodial_portal.logs import call_logging


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: CALL_BEGIN_RETRY_DELAY doubled per retry, then a random
    half to the whole of it, so that calls refused together by a busy operator do not all come
    back at the same instant."""
    ceiling = settings.CALL_BEGIN_RETRY_DELAY * 2**retries
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (spreading retries, not a secret)


@shared_task(bind=True, max_retries=None)
def call_begin_task(self, call_id: int) -> None:
    if not Call.objects.filter(pk=call_id).exists():
        return
    last_attempt = self.request.retries >= settings.CALL_BEGIN_MAX_RETRIES
    with call_logging(call_id=call_id):
        outcome = services.call_begin(call_id=call_id, last_attempt=last_attempt)
    if outcome is services.TaskOutcome.RETRY:
        raise self.retry(countdown=retry_delay(self.request.retries))


@shared_task
def calls_expire_silent_task() -> None:
    services.calls_expire_silent()


@shared_task(bind=True, max_retries=None)
def call_release_task(self, call_id: int) -> None:
    if not Call.objects.filter(pk=call_id).exists():
        return
    last_attempt = self.request.retries >= settings.CALL_BEGIN_MAX_RETRIES
    with call_logging(call_id=call_id):
        outcome = services.call_release(call_id=call_id, last_attempt=last_attempt)
    if outcome is services.TaskOutcome.RETRY:
        raise self.retry(countdown=retry_delay(self.request.retries))
