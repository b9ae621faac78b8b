"""Celery tasks for calls: thin wrappers that take a primary key and call one service."""

from celery import shared_task
from django.conf import settings

from calls.models import Call
from calls.services import dialing, outcomes
from clicktodial_portal.celery import retry_delay
from clicktodial_portal.logs import call_logging


@shared_task(bind=True, max_retries=None)
def call_begin_task(self, call_id: int) -> None:
    # A call deleted meanwhile is not claimed (dialing.call_begin): nothing to look up first.
    last_attempt = self.request.retries >= settings.CALL_BEGIN_MAX_RETRIES
    with call_logging(call_id=call_id):
        outcome = dialing.call_begin(call_id=call_id, last_attempt=last_attempt)
    if outcome is dialing.TaskOutcome.RETRY:
        raise self.retry(
            countdown=retry_delay(settings.CALL_BEGIN_RETRY_DELAY, self.request.retries)
        )


@shared_task
def calls_expire_silent_task() -> None:
    outcomes.calls_expire_silent()


@shared_task(bind=True, max_retries=None)
def call_release_task(self, call_id: int) -> None:
    if not Call.objects.filter(pk=call_id).exists():
        return
    last_attempt = self.request.retries >= settings.CALL_BEGIN_MAX_RETRIES
    with call_logging(call_id=call_id):
        outcome = dialing.call_release(call_id=call_id, last_attempt=last_attempt)
    if outcome is dialing.TaskOutcome.RETRY:
        raise self.retry(
            countdown=retry_delay(settings.CALL_BEGIN_RETRY_DELAY, self.request.retries)
        )
