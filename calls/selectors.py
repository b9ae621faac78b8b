"""Reads for contacts and calls: who may see what, and how a call's progress reads to a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from calls.models import Call, CallEvent, Contact

Status = Call.Status

# How the operator's reasons read in "Ended (…)".
REASON_LABELS = {
    "HangUp": "hung up",
    "CallerBusy": "your line was busy",
    "CallerNoAnswer": "you did not answer",
    "CallerFailure": "your phone could not be reached",
    "CallerAbandon": "you hung up before they answered",
    "CalleeBusy": "busy",
    "CalleeNoAnswer": "no answer",
    "CalleeFailure": "their phone could not be reached",
    "Other": "ended by the network",
    "Cancelled": "cancelled before dialling",
}


def calls_visible_to(user: AbstractBaseUser) -> QuerySet[Call]:
    """Admins see every call; anyone else the calls from their own number or that they placed."""
    calls = Call.objects.select_related("member", "contact", "usage", "recording")
    if user.is_staff:
        return calls
    return calls.filter(Q(member__user=user) | Q(placed_by=user))


def contacts_of(user: AbstractBaseUser) -> QuerySet[Contact]:
    return Contact.objects.filter(owner=user)


def duration_display(seconds: int | None) -> str:
    """125 → "2 min 05 s"; 45 → "45 s"; 3725 → "1 h 02 min 05 s"."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def callee_display(call: Call) -> str:
    return call.callee_name or call.callee


def call_status_label(call: Call, status: str | None = None) -> str:
    """The call's status (or an earlier `status` of it) as the person who placed it reads it."""
    match status or call.status:
        case Status.QUEUED | Status.DIALING:
            return "Placing the call…"
        case Status.CALLING_CALLER:
            return "Calling you…"
        case Status.CALLING_CALLEE:
            return f"Calling {callee_display(call)}…"
        case Status.CONNECTED:
            return "Connected"
        case Status.ENDED:
            words = [REASON_LABELS.get(call.reason, call.reason or "ended")]
            if call.duration_seconds:
                words.append(duration_display(call.duration_seconds))
            return f"Ended ({', '.join(words)})"
        case Status.FAILED:
            return f"Failed: {call.error_message}" if call.error_message else "Failed"
        case Status.UNKNOWN:
            return "Outcome unknown"
    return call.get_status_display()


# The operator's statuses, as the call statuses they move a call to.
_NOTIFIED = {
    "CallingCaller": Status.CALLING_CALLER,
    "CallingCallee": Status.CALLING_CALLEE,
    "Connected": Status.CONNECTED,
    "Disconnected": Status.ENDED,
}


@dataclass(frozen=True)
class TimelineEntry:
    label: str
    at: datetime | None


def call_timeline(call: Call) -> list[TimelineEntry]:
    """What happened to the call, in order: placed, each status the operator reported, the end."""
    entries = [TimelineEntry("Call placed", call.created_at)]
    applied = call.events.filter(outcome=CallEvent.Outcome.APPLIED).order_by(
        "operator_timestamp", "id"
    )
    for event in applied:
        status = _NOTIFIED[event.status]
        at = call.ended_at if status == Status.ENDED else event.operator_timestamp
        entries.append(TimelineEntry(call_status_label(call, status), at))
    if call.hangup_requested_at and call.reason != "Cancelled":
        entries.append(TimelineEntry("You asked to hang up", call.hangup_requested_at))
    if call.status in {Status.FAILED, Status.UNKNOWN} or call.reason == "Cancelled":
        entries.append(TimelineEntry(call_status_label(call), call.ended_at or call.updated_at))
    return sorted(entries, key=lambda entry: entry.at or call.updated_at)
