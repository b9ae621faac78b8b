"""Talking to the operator about a call: the begin request that rings the phones, and the release
that ends it (a hang-up). Only a request that certainly never reached the operator is sent again."""

from __future__ import annotations

import enum
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from calls.exceptions import CallNotEndable
from calls.lifecycle import (
    ENDED_UNREPORTED_MESSAGE,
    advance,
    cancelled_fields,
    counted,
    fail,
    identifier_taken_by_another,
)
from calls.messages import HANG_UP_NOT_CONFIRMED
from calls.models import Call
from calls.services.identifiers import RELEASE_TASK, identifier_take, release_if_hang_up_waits
from calls.services.notifications import adopt_early_events
from calls.services.outcomes import unknown_calls_alert
from calls.signals import call_status_changed
from clicktodial_portal import metrics
from clicktodial_portal.celery import task_send_on_commit
from clicktodial_portal.fields import fitted
from operator_api import (
    CallIdError,
    OperationError,
    OperatorError,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    ReleaseOperation,
    get_operator,
)
from recordings.selectors import recording_wanted

logger = logging.getLogger(__name__)

Status = Call.Status


# Kept with the call in English (calls.messages shows them in the reader's language).
OUTCOME_UNKNOWN_MESSAGE = gettext_noop(
    "The operator's answer to the call request was lost, so whether the phones "
    "are ringing is not known. It will not be dialled again automatically."
)


class TaskOutcome(enum.Enum):
    """What a worker task does next: nothing, or try again later."""

    DONE = "done"
    RETRY = "retry"


def call_begin(*, call_id: int, last_attempt: bool) -> TaskOutcome:
    """Send the begin request for a queued call; the worker's task calls this.

    The call is claimed with a conditional update so that two workers (or a redelivered task)
    never dial it twice. Only a request that certainly did not reach the operator is retried; when
    the answer may have been lost the call becomes `unknown`, and no one dials again on their own.
    """
    with transaction.atomic():
        claimed = Call.objects.filter(pk=call_id, status=Status.QUEUED).update(
            status=Status.DIALING,
            begin_attempts=F("begin_attempts") + 1,
            begun_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if claimed != 1:
            logger.info("call %s: not queued any more, begin skipped", call_id)
            return TaskOutcome.DONE
        # The member comes along: whether the call is recorded is a question about them.
        call = Call.objects.select_related("member").get(pk=call_id)
        call_status_changed.send(sender=Call, call=call)
    if call.begin_attempts == 1:  # a retry dials the same call again: counted once
        counted(call.status, call.reason)

    try:
        callidentifier = _operator_begin(call)
    except OperatorUnreachable as exc:
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if _begin_reached_the_operator(call):
                return TaskOutcome.DONE
            if call.hangup_requested_at is not None:
                # Nothing reached the operator, and the user no longer wants the call.
                advance(call, **cancelled_fields())
                return TaskOutcome.DONE
            if last_attempt:
                fail(call, exc)
                return TaskOutcome.DONE
            # Back to queued: the retry claims it again, and a hang-up meanwhile cancels it.
            call.status = Status.QUEUED
            call.error_message = exc.message
            call.save(update_fields=["status", "error_message", "updated_at"])
            call_status_changed.send(sender=Call, call=call)
        logger.warning("call %s: operator unreachable, will retry: %s", call_id, exc)
        return TaskOutcome.RETRY
    except OperatorOutcomeUnknown as exc:
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if call.status != Status.DIALING:
                # A notification already told us what happened: the begin did reach the operator.
                return TaskOutcome.DONE
            advance(
                call,
                Status.UNKNOWN,
                error_code=fitted(Call, "error_code", exc.code or ""),
                error_message=OUTCOME_UNKNOWN_MESSAGE,
            )
        logger.warning("call %s: begin outcome unknown: %s", call_id, exc)
        return TaskOutcome.DONE
    except OperatorError as exc:
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if not _begin_reached_the_operator(call):
                fail(call, exc)
        return TaskOutcome.DONE

    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if call.callidentifier not in (None, callidentifier):
            logger.error(
                "call %s: begin answered %s but a notification matched it as %s",
                call_id,
                callidentifier,
                call.callidentifier,
            )
        call.error_message = ""
        identifier_take(call, callidentifier, also=["error_message"])
        release_if_hang_up_waits(call)
    logger.info("call %s: begun as %s", call_id, callidentifier)
    adopt_early_events(call_id=call_id, callidentifier=callidentifier, began=call.begun_at)
    return TaskOutcome.DONE


def _begin_reached_the_operator(call: Call) -> bool:
    """Whether a notification has told of the call (locked) while its begin was out, whatever
    the begin's own answer said: it did reach the operator, and the call goes on as told."""
    if call.status == Status.DIALING and call.callidentifier is None:
        return False
    logger.warning(
        "call %s: the begin's answer was an error, but the operator has reported on the call",
        call.pk,
    )
    return True


def _operator_begin(call: Call) -> str:
    """Ask the operator to place the call; the time from the click, by what came of it, counted
    in the metrics."""
    result = "error"  # unless the operator answers, or an OperatorError says why not
    try:
        callidentifier = get_operator().begin(
            sponsor=call.sponsor,
            caller=call.caller,
            callee=call.callee,
            record=recording_wanted(member=call.member),
            reference=str(call.pk),
        )
        result = "begun"
        return callidentifier
    except OperatorUnreachable:
        result = "unreachable"
        raise
    except OperatorOutcomeUnknown:
        result = "unknown"
        raise
    except OperatorError:
        result = "refused"
        raise
    finally:
        since_click = (timezone.now() - call.created_at).total_seconds()
        metrics.BEGIN_SECONDS.labels(result).observe(since_click)


def call_hang_up(*, call: Call) -> Call:
    """End a call that can still be ended: cancel it if not yet dialled, else release it."""
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.status == Status.QUEUED:
            # Not sent yet (the begin task claims only queued calls): cancel it here.
            advance(call, **cancelled_fields())
            return call
        if call.status == Status.UNKNOWN and call.callidentifier is None:
            raise CallNotEndable(
                _(
                    "The operator never told us this call's identifier, so it cannot be ended "
                    "from here. If the phones are ringing, hang up on the phone."
                )
            )
        if not call.can_hang_up:
            raise CallNotEndable(_("This call has already ended; there is nothing to hang up."))
        if identifier_taken_by_another(call):
            raise CallNotEndable(
                _(
                    "The operator has given this call's identifier to a newer call, so this one "
                    "has ended there; ending it from here would end the newer call."
                )
            )
        if call.hangup_requested_at is None:
            call.hangup_requested_at = timezone.now()
            call.save(update_fields=["hangup_requested_at", "updated_at"])
        task_send_on_commit(RELEASE_TASK, call.pk)
    return call


def call_release(*, call_id: int, last_attempt: bool = True) -> TaskOutcome:
    """Ask the operator to end the call (EndCall). The Disconnected notification ends it here.

    When the operator cannot confirm the release, the call says so: the user must not believe a
    live call was ended.
    """
    call = Call.objects.get(pk=call_id)
    if call.callidentifier is None or call.is_final:
        # Still dialing: whoever learns the identifier releases it (release_if_hang_up_waits).
        return TaskOutcome.DONE
    if identifier_taken_by_another(call):
        # Its identifier now names a newer call: an EndCall would end that one.
        logger.warning("call %s: not released, its identifier names a newer call", call_id)
        return TaskOutcome.DONE
    try:
        get_operator().release(
            callidentifier=call.callidentifier, operation=ReleaseOperation.END_CALL
        )
    except (CallIdError, OperationError) as exc:
        # The operator no longer has a live call: it has ended there. If its end has not reached
        # us, it never may: the call is `unknown` now, for an admin to settle, rather than
        # holding its member back from calling until the silent-call sweep's hours run out.
        logger.info("call %s: the operator no longer knows it: %s", call_id, exc)
        _ended_at_operator(call_id=call_id, code=exc.code)
        return TaskOutcome.DONE
    except OperatorError as exc:
        if isinstance(exc, OperatorUnreachable) and not last_attempt:
            return TaskOutcome.RETRY
        Call.objects.filter(pk=call_id).update(
            error_message=HANG_UP_NOT_CONFIRMED % {"message": exc.message},
            updated_at=timezone.now(),
        )
        logger.warning("call %s: release failed: %s", call_id, exc)
        return TaskOutcome.DONE
    logger.info("call %s: release sent", call_id)
    return TaskOutcome.DONE


def _ended_at_operator(*, call_id: int, code: str | None) -> None:
    """The operator says the call is over (it refused to release it as unknown); unless its end
    was reported meanwhile, the call's outcome is unknown and the admins are told."""
    now = timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if call.is_final or call.status == Status.UNKNOWN:
            return
        advance(
            call,
            Status.UNKNOWN,
            error_code=fitted(Call, "error_code", code or ""),
            error_message=ENDED_UNREPORTED_MESSAGE,
        )
    unknown_calls_alert(since=now)
