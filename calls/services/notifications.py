"""The operator's notifications about calls, for both APIs (v1's status notifications and CAMARA's
events): each is kept as received, matched to its call (also when its identifier was handed out
again, or came before the begin answer), and applied by calls.lifecycle, in one transaction."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from calls.lifecycle import event_close, notification_apply
from calls.models import Call, CallEvent
from calls.services.identifiers import identifier_take, release_if_hang_up_waits
from calls.services.progress import progress_applied
from clicktodial_portal.fields import fitted
from clicktodial_portal.logs import call_logging
from operator_api import (
    InvalidNotification,
    OperatorEvent,
    StatusNotification,
    camara,
    v1,
)

Status = Call.Status


class NotifyOutcome(enum.StrEnum):
    """What became of a notification once kept, for the endpoint that took it to answer in its
    own API's words (calls/notify.py)."""

    # Applied; or a duplicate, or news older than what the call knows: nothing to change.
    TAKEN = "taken"
    # Not understood, or about other numbers than its call's.
    INVALID = "invalid"
    # No call has its identifier (yet: it is adopted if its begin answer names it later).
    UNKNOWN_CALL = "unknown_call"
    # A CAMARA event whose credential the portal issued for another call.
    NOT_THIS_CALLS = "not_this_calls"


def notification_receive(
    *, callidentifier: str, body: bytes, remote_addr: str | None
) -> NotifyOutcome:
    """A v1 status notification, for the call its URL names: see `_receive`."""
    return _receive(
        body=body,
        remote_addr=remote_addr,
        callidentifier=callidentifier,
        parse=lambda: _Parsed.of(_v1_parse(body, callidentifier=callidentifier)),
    )


def camara_event_receive(
    *, body: bytes, remote_addr: str | None, credential_for: str
) -> NotifyOutcome:
    """A CAMARA status-changed event (CloudEvents, structured mode): see `_receive`. The call is
    the one its `data.callId` names, and must be the one its credential was issued for
    (``credential_for``, the portal's id for the call); an event seen before (the same source
    and id) changes nothing."""
    return _receive(
        body=body,
        remote_addr=remote_addr,
        callidentifier=camara.event_call_id(body),
        parse=lambda: _Parsed.of(_camara_parse(body), credential_for=credential_for),
    )


@dataclass(frozen=True)
class _Parsed:
    """A notification understood: its call, what it says and, for CAMARA's events, the event's
    identity (`event_source`, `event_id`) and the call its credential was issued for."""

    callidentifier: str
    notification: StatusNotification
    event: dict[str, str] = field(default_factory=dict)
    credential_for: str | None = None

    @classmethod
    def of(cls, event: OperatorEvent, *, credential_for: str | None = None) -> _Parsed:
        identity = (
            {"event_source": event.source, "event_id": event.event_id} if event.event_id else {}
        )
        return cls(event.callidentifier, event.notification, identity, credential_for)


def _v1_parse(
    body: bytes, *, callidentifier: str, received_at: datetime | None = None
) -> OperatorEvent:
    event = v1.parse_notification(
        body,
        callidentifier=callidentifier,
        default_region=settings.PHONE_DEFAULT_REGION,
        received_at=received_at,
    )
    _notification_storable(event.notification)
    return event


def _camara_parse(body: bytes) -> OperatorEvent:
    event = camara.parse_event(body, default_region=settings.PHONE_DEFAULT_REGION)
    _notification_storable(event.notification)
    return event


def _receive(
    *,
    body: bytes,
    remote_addr: str | None,
    callidentifier: str,
    parse: Callable[[], _Parsed],
) -> NotifyOutcome:
    """Keep the notification as it came, decide what it means and apply it: in one transaction.

    The event and what it changes are committed together, or neither is: a DatabaseError is left
    to propagate, so that the caller answers 503 and the operator sends it again (applying it
    twice changes nothing). Any other error keeps the event as received before propagating.
    One commit per notification, not two: the commit's flush to disk is much of its cost.
    """
    # A text column takes no NUL character (PostgreSQL refuses it): kept as U+FFFD instead.
    received = {
        "callidentifier": fitted(CallEvent, "callidentifier", callidentifier).replace(
            "\x00", "\ufffd"
        ),
        "body": body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        "remote_addr": remote_addr,
    }
    try:
        try:
            parsed = parse()
        except (ValueError, InvalidNotification, RecursionError, OverflowError) as exc:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors too (InvalidNotification
            # is one); RecursionError is deeply nested JSON, OverflowError a time out of range.
            CallEvent.objects.create(
                **received,
                outcome=CallEvent.Outcome.INVALID,
                detail=fitted(CallEvent, "detail", str(exc)),
            )
            return NotifyOutcome.INVALID
        received["callidentifier"] = fitted(
            CallEvent, "callidentifier", parsed.callidentifier
        ).replace("\x00", "\ufffd")
        received.update(parsed.event)
        notification = parsed.notification
        # Written once, with its outcome, when it is decided (in the transaction that applies it).
        event = CallEvent(
            **received,
            status=notification.status,
            reason=fitted(CallEvent, "reason", notification.reason or ""),
            operator_timestamp=notification.timestamp,
        )
        if _plain_v1(parsed) and progress_applied(
            callidentifier=parsed.callidentifier, notification=notification, event=event
        ):
            return NotifyOutcome.TAKEN
        with transaction.atomic():
            return _notification_keep_and_apply(parsed, event)
    except DatabaseError:
        raise
    except Exception:
        CallEvent.objects.create(**received)  # on record, as received, before the error's 500
        raise


def _plain_v1(parsed: _Parsed) -> bool:
    """A v1 notification whose identifier a call could carry: what calls.services.progress may
    apply in one statement (a CAMARA event has its own identity and credential to check)."""
    return (
        not parsed.event
        and parsed.credential_for is None
        and _identifier_possible(parsed.callidentifier)
    )


def _notification_keep_and_apply(parsed: _Parsed, event: CallEvent) -> NotifyOutcome:
    callidentifier, notification = parsed.callidentifier, parsed.notification
    if not _identifier_possible(callidentifier):
        event_close(event, CallEvent.Outcome.UNKNOWN_CALL, "No call can have this identifier.")
        return NotifyOutcome.UNKNOWN_CALL
    if parsed.credential_for is not None:
        call = _call_of_credential(parsed, event)
        if call is None:
            return NotifyOutcome.NOT_THIS_CALLS
    else:
        call = _call_for_identifier(callidentifier=callidentifier, notification=notification)
        if call is None or (
            # Not its numbers, and over (or of unknown outcome): the identifier has moved on to
            # a call whose begin answer has not named it yet.
            (call.is_final or call.status == Status.UNKNOWN)
            and (notification.caller, notification.callee) != (call.caller, call.callee)
        ):
            call = (
                _call_awaiting_identifier(callidentifier=callidentifier, notification=notification)
                or call
            )
    if call is None:
        event_close(event, CallEvent.Outcome.UNKNOWN_CALL, "No call has this identifier.")
        return NotifyOutcome.UNKNOWN_CALL
    with call_logging(call_id=call.pk):
        event.call = call
        if parsed.event and call.events.filter(**parsed.event).exists():
            event_close(event, CallEvent.Outcome.DUPLICATE, "The same event came before.")
            return NotifyOutcome.TAKEN
        outcome = notification_apply(call=call, event=event, notification=notification)
        # Not about its call's numbers: the body is wrong. Anything else was taken.
        if outcome == CallEvent.Outcome.MISMATCH:
            return NotifyOutcome.INVALID
        return NotifyOutcome.TAKEN


# No telephone call lasts a month; a longer callDuration is a fault, not a bill to make.
NOTIFY_MAX_CALL_SECONDS = 31 * 24 * 3600


def _notification_storable(notification: StatusNotification) -> None:
    """Refuse (as InvalidNotification) what parses but could not be stored on the call."""
    duration = notification.call_duration
    if duration is not None and duration > NOTIFY_MAX_CALL_SECONDS:
        raise InvalidNotification(field="callDuration", problem=f"{duration} is too long")
    # The call's start is worked out from its end and duration: both must stay in the calendar.
    since_calendar_start = notification.timestamp.replace(tzinfo=None) - datetime.min
    if since_calendar_start < timedelta(seconds=duration or 0):
        raise InvalidNotification(field="timeStamp", problem="is too early for the duration")
    limit = Call._meta.get_field("recording_id").max_length
    if notification.recording_id and len(notification.recording_id) > limit:
        raise InvalidNotification(field="recordingId", problem=f"is over {limit} characters")


def _identifier_possible(callidentifier: str) -> bool:
    """Whether a call could carry this identifier (the column's length, no NUL)."""
    limit = Call._meta.get_field("callidentifier").max_length
    return len(callidentifier) <= limit and "\x00" not in callidentifier


def _call_awaiting_identifier(
    *, callidentifier: str, notification: StatusNotification
) -> Call | None:
    """The call this notification is about, when its begin answer has not told us the identifier.

    The operator may notify before the worker has stored the begin answer, or the answer may have
    been lost (`unknown`). Matched on the numbers among recent calls with no identifier, and only
    when exactly one fits; that call then takes the identifier.
    """
    candidates = list(
        Call.objects.select_for_update()
        .filter(
            callidentifier__isnull=True,
            status__in=[Status.DIALING, Status.UNKNOWN],
            caller=notification.caller,
            callee=notification.callee,
            created_at__gte=timezone.now() - timedelta(hours=1),
        )
        .order_by("-created_at")[:2]
    )
    if len(candidates) != 1:
        # A concurrent notification (or the begin answer) may have given the call this very
        # identifier while we waited for its lock: the row then no longer matched the filter
        # above. A new statement sees that commit.
        return _call_for_identifier(callidentifier=callidentifier, notification=notification)
    call = candidates[0]
    identifier_take(call, callidentifier)
    release_if_hang_up_waits(call)
    return call


# How far apart the operator's clock and ours may be when a notification's time decides which of
# the calls that carried a reused identifier it is about.
IDENTIFIER_CLOCK_MARGIN = timedelta(seconds=30)


def _call_for_identifier(*, callidentifier: str, notification: StatusNotification) -> Call | None:
    """The call (locked) that an identifier names when a notification happened.

    The operator hands an identifier out again once its call has ended, so several calls may
    carry it. A notification belongs to the latest of them begun before the call it tells of
    began: its time less the duration it reports, give or take the clocks' margin. So a late one
    for an earlier call never touches the newer, even when that call ended just before the newer
    began. When the call found had ended before the notification happened, it is about a newer
    call whose begin answer has not come yet: None, and it is matched (or adopted later) so.
    """
    candidates = list(
        # The member comes along for the debit; only the calls' rows are locked.
        Call.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(callidentifier=callidentifier)
        .order_by(F("begun_at").desc(nulls_last=True), "-id")
    )
    if not candidates:
        return None
    at = notification.timestamp
    began = at - timedelta(seconds=notification.call_duration or 0)
    call = next(
        (
            c
            for c in candidates
            if c.begun_at is None or c.begun_at - IDENTIFIER_CLOCK_MARGIN <= began
        ),
        candidates[-1],  # before every one of them began: the earliest
    )
    if call.is_final and call.ended_at is not None and at > call.ended_at + IDENTIFIER_CLOCK_MARGIN:
        return None
    return call


def _call_of_credential(parsed: _Parsed, event: CallEvent) -> Call | None:
    """A CAMARA event's call: the one its credential was issued for (locked), when the event is
    about it; else None, with the event closed as a mismatch. Every check comes before any
    write: an event that is refused changes nothing but its own record."""
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk=int(parsed.credential_for or 0))
        .first()
    )
    notification = parsed.notification
    problem = ""
    if call is None:
        problem = f"The credential was issued for call {parsed.credential_for[:40]}, which is gone."
    elif call.callidentifier is not None and call.callidentifier != parsed.callidentifier:
        problem = f"The credential was issued for call {call.pk}, which is not this callId."
    elif call.callidentifier is None and (
        (notification.caller, notification.callee) != (call.caller, call.callee)
        or call.status not in (Status.DIALING, Status.UNKNOWN)
    ):
        problem = f"The credential was issued for call {call.pk}, which this event is not about."
    if problem:
        event.call = call
        event_close(event, CallEvent.Outcome.MISMATCH, problem)
        return None
    if call.callidentifier is None:
        # The begin answer has not come yet (or was lost): the event tells the call's id.
        identifier_take(call, parsed.callidentifier)
        release_if_hang_up_waits(call)
    return call


def adopt_early_events(*, call_id: int, callidentifier: str, began: datetime | None) -> None:
    """Apply to the call just begun (at `began`) the notifications that came before its begin
    answer and matched no call then.

    The operator was answered 1001002 for them, but what it reported is still the truth about
    this call.
    """
    since = (began or timezone.now()) - IDENTIFIER_CLOCK_MARGIN
    # Only what came since the call began: an older one is another call's that had this
    # identifier before (the operator hands them out again).
    early = CallEvent.objects.filter(
        callidentifier=callidentifier,
        call__isnull=True,
        outcome=CallEvent.Outcome.UNKNOWN_CALL,
        received_at__gte=since,
    ).order_by("received_at", "id")
    for event in early:
        body = event.body.encode()  # read again as it was received, with the time it came
        if event.event_id:  # a CAMARA event
            notification = _camara_parse(body).notification
        else:
            notification = _v1_parse(
                body, callidentifier=callidentifier, received_at=event.received_at
            ).notification
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            identity = {"event_source": event.event_source, "event_id": event.event_id}
            if event.event_id and call.events.filter(**identity).exclude(pk=event.pk).exists():
                event.call = call
                event_close(event, CallEvent.Outcome.DUPLICATE, "The same event came before.")
                continue
            notification_apply(call=call, event=event, notification=notification)
