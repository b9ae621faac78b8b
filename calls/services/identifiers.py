"""The operator's identifier for a call: a call takes it (from the begin answer or the first
notification), a live call still holding it loses it, and a hang-up that waited for it is sent."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from calls.lifecycle import ENDED_UNREPORTED_MESSAGE, advance
from calls.models import Call
from calls.services.outcomes import unknown_calls_alert
from clicktodial_portal.celery import task_send_on_commit

logger = logging.getLogger(__name__)

Status = Call.Status


# Sent by name (clicktodial_portal.celery.task_send): calls.tasks imports this package.
RELEASE_TASK = "calls.tasks.call_release_task"


def identifier_take(call: Call, callidentifier: str, *, also: Iterable[str] = ()) -> None:
    """Give a locked call the operator's identifier, saved with the fields named in ``also``.

    A live call still holding the same identifier was ended by the operator, which has handed
    the identifier out again, but its end never reached us: it is `unknown`, for an admin to
    settle, and no longer in the way of the new call.
    """
    holders = list(
        Call.objects.select_for_update()
        .filter(callidentifier=callidentifier, status__in=Call.LIVE_STATUSES)
        .exclude(pk=call.pk)
    )
    if holders:
        since = timezone.now()
        transaction.on_commit(lambda: unknown_calls_alert(since=since))
    for holder in holders:
        logger.warning(
            "call %s: the operator gave its identifier %s to call %s",
            holder.pk,
            callidentifier,
            call.pk,
        )
        advance(holder, Status.UNKNOWN, error_message=ENDED_UNREPORTED_MESSAGE)
    call.callidentifier = callidentifier
    call.save(update_fields=["callidentifier", *also, "updated_at"])


def release_if_hang_up_waits(call: Call) -> None:
    """The user asked to hang up before the call's identifier was known: release it now."""
    if call.hangup_requested_at is not None and not call.is_final:
        task_send_on_commit(RELEASE_TASK, call.pk)
