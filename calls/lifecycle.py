"""How a call lives: the order of its statuses, and the one place where its status changes.

A call moves only forward, by rank (`RANK`): `queued` → `dialing` → `calling_caller` →
`calling_callee` → `connected` → `ended`, or `failed` from anywhere before the end. `ended` and
`failed` are final. `unknown` (the operator's answer or its news was lost) ranks with `dialing`, so
whatever the operator reports later is news, and a person may settle it by hand
(calls.services.outcomes). The status sets (live, final, ringing) are defined beside the choices
in calls.models, where the model's partial indexes need them.

`advance` is the only writer of a call's status: an ended call is debited there, once, and its
recording registered. `notification_apply` decides what one operator notification does to its call
and says so as the event's outcome (applied, duplicate, stale, mismatch): never a wire code.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from calls.models import Call, CallEvent
from calls.selectors import REASON_LABELS
from calls.signals import call_status_changed
from clicktodial_portal import metrics
from clicktodial_portal.fields import fitted
from clicktodial_portal.logs import printable
from members.pool.ledger import usage_record
from operator_api import (
    NotificationStatus,
    OperatorError,
    StatusNotification,
)
from recordings.services import recording_register

logger = logging.getLogger(__name__)

Status = Call.Status


# Statuses of equal rank cannot replace each other; a notification applies only when it moves the
# call to a higher rank. `unknown` ranks with `dialing`: whatever the operator reports later
# is news.
RANK = {
    Status.QUEUED: 0,
    Status.DIALING: 1,
    Status.UNKNOWN: 1,
    Status.CALLING_CALLER: 2,
    Status.CALLING_CALLEE: 3,
    Status.CONNECTED: 4,
    Status.ENDED: 5,
    Status.FAILED: 5,
}


NOTIFIED_STATUS = {
    NotificationStatus.INITIATING: Status.DIALING,
    NotificationStatus.CALLING_CALLER: Status.CALLING_CALLER,
    NotificationStatus.CALLING_CALLEE: Status.CALLING_CALLEE,
    NotificationStatus.CONNECTED: Status.CONNECTED,
    NotificationStatus.DISCONNECTED: Status.ENDED,
    NotificationStatus.FAILED: Status.FAILED,
}


# A CAMARA `failed` event says no more than that.
OPERATOR_FAILED_MESSAGE = gettext_noop("The operator could not set up the call.")


ENDED_UNREPORTED_MESSAGE = gettext_noop(
    "The operator says this call has ended, but its end was never reported, so how long it "
    "lasted is not known. An administrator must settle it."
)


# A call cancelled before its begin request went out ends with this reason.
REASON_CANCELLED = "Cancelled"


def advance(call: Call, status: str, **fields: object) -> None:
    """Move a locked call to `status`; the one place where a call's status changes.

    An ended call is debited from the minute pool here, in the same transaction, and its
    recording (if the operator reported one) registered for download once that commits.
    """
    if call.is_final:
        raise AssertionError(f"call {call.pk} is {call.status}, which is final")
    call.status = status
    for name, value in fields.items():
        setattr(call, name, value)
    # Only what changed: the callers save anything else they change themselves.
    call.save(update_fields=["status", *fields, "updated_at"])
    status_changed(call_id=call.pk, status=status, reason=call.reason)
    if status == Status.ENDED:
        usage_record(call=call)
        recording_register(call=call)
    call_status_changed.send(sender=Call, call=call)


def status_changed(*, call_id: int, status: str, reason: str) -> None:
    """Say that a call's status changed: on the log, and in the metrics once it is committed.
    Every change of status is said so (`advance`, calls.services.progress)."""
    counted(status, reason)
    said = f" ({printable(reason)})" if reason else ""  # the operator's words
    logger.info("call %s is %s%s", call_id, status, said)


def counted(status: str, reason: str) -> None:
    """Count a call's new status in the metrics, once the change is committed; the reason by
    name when it is one the portal knows (the label's values stay few), else as `other`."""
    if reason and reason not in REASON_LABELS and reason != "NotPlaced":
        reason = "other"
    transaction.on_commit(lambda: metrics.CALLS.labels(status, reason).inc())


def notification_apply(
    *, call: Call, event: CallEvent, notification: StatusNotification
) -> CallEvent.Outcome:
    """Apply a parsed notification to its call (locked by the caller) and close the event with
    what became of it, which is returned."""
    event.call = call
    if (notification.caller, notification.callee) != (call.caller, call.callee):
        return event_close(
            event,
            CallEvent.Outcome.MISMATCH,
            f"Body says {notification.caller} → {notification.callee}, "
            f"the call is {call.caller} → {call.callee}.",
        )
    target = NOTIFIED_STATUS[notification.status]
    if call.status == Status.UNKNOWN and RANK[target] <= _highest_rank_reached(call):
        return event_close(event, CallEvent.Outcome.STALE, "The call was further along than this.")
    if target in Call.LIVE_STATUSES and identifier_taken_by_another(call):
        # Old news of a call the operator has ended (it gave the identifier to a newer one):
        # only its end may still be told.
        return event_close(event, CallEvent.Outcome.STALE, "Its identifier names a newer call now.")
    if call.status == target:
        return event_close(event, CallEvent.Outcome.DUPLICATE, f"The call is already {target}.")
    if call.is_final or RANK[target] <= RANK[call.status]:
        return event_close(event, CallEvent.Outcome.STALE, f"The call is already {call.status}.")

    fields: dict[str, object] = {"error_message": "", "error_code": ""}
    if target == Status.CONNECTED:
        fields["connected_at"] = notification.timestamp
    if target == Status.ENDED:
        fields.update(ending_fields(call, notification))
    if target == Status.FAILED:
        fields.update(ended_at=notification.timestamp, error_message=OPERATOR_FAILED_MESSAGE)
    advance(call, target, **fields)
    return event_close(event, CallEvent.Outcome.APPLIED, "")


def _highest_rank_reached(call: Call) -> int:
    """How far an `unknown` call had got before it became unknown, from the events applied."""
    applied = call.events.filter(outcome=CallEvent.Outcome.APPLIED).values_list("status", flat=True)
    ranks = [RANK[NOTIFIED_STATUS[NotificationStatus(s)]] for s in applied]
    return max(ranks, default=RANK[Status.DIALING])


def ending_fields(call: Call, notification: StatusNotification) -> dict[str, object]:
    """What a Disconnected writes on its call, besides its status (calls.services.progress too)."""
    ended_at: datetime = notification.timestamp
    duration = notification.call_duration
    if duration is None:
        # Tolerate a Disconnected without callDuration: the connected time we saw, else nothing.
        duration = (
            max(0, int((ended_at - call.connected_at).total_seconds())) if call.connected_at else 0
        )
    fields: dict[str, object] = {
        "ended_at": ended_at,
        # The operator's word as sent, a word outside the seed's list too (it means Other).
        "reason": fitted(Call, "reason", notification.reason or ""),
        "duration_seconds": duration,
        "recording_result": notification.recording_result or "",
        "recording_id": notification.recording_id or "",
    }
    if duration and call.connected_at is None:
        # Disconnected overtook Connected: the start follows from the end and the duration.
        fields["connected_at"] = ended_at - timedelta(seconds=duration)
    return fields


def event_close(event: CallEvent, outcome: CallEvent.Outcome, detail: str) -> CallEvent.Outcome:
    """Record what became of a notification (saved once, with it, when it is new)."""
    event.outcome = outcome
    event.detail = fitted(CallEvent, "detail", detail)
    if event.pk is None:
        event.save()  # the notification being received: one insert, with what became of it
    else:
        event.save(update_fields=["call", "outcome", "detail", "updated_at"])
    return outcome


def fail(call: Call, exc: OperatorError) -> None:
    """End a locked call as failed, with the operator's word for why and a plain message."""
    if call.is_final:
        return
    advance(
        call,
        Status.FAILED,
        reason=fitted(Call, "reason", exc.description or type(exc).__name__),
        error_code=fitted(Call, "error_code", exc.code or ""),
        error_message=exc.message,
        ended_at=timezone.now(),
    )
    logger.warning("call %s failed: %s (%s)", call.pk, exc.message, exc.code)


def cancelled_fields() -> dict[str, object]:
    return {
        "status": Status.ENDED,
        "reason": REASON_CANCELLED,
        "ended_at": timezone.now(),
        "duration_seconds": 0,
    }


def identifier_taken_by_another(call: Call) -> bool:
    """Whether another live call holds this (not live) call's identifier: the operator has
    handed it out again."""
    if call.callidentifier is None or call.status in Call.LIVE_STATUSES:
        return False  # a live call's identifier is its own (a constraint says so)
    return (
        Call.objects.filter(callidentifier=call.callidentifier, status__in=Call.LIVE_STATUSES)
        .exclude(pk=call.pk)
        .exists()
    )
