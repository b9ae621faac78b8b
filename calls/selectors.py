"""Reads for calls: who may see what, how a call's progress reads to a person, and what the
admins' dashboard reads. The calls history itself (filters, keyset pages, rows) is calls.history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls.messages import stored_message
from calls.models import Call, CallEvent
from clicktodial_portal.masking import mask_number, masks_numbers, number_display_for
from members.roles import can_see_usage

Status = Call.Status


@dataclass(frozen=True)
class ReasonWords:
    """How an operator's reason reads: to the employee who placed the call (`to_caller`, "you
    did not answer") and to anyone else reading it, an admin or finance (`to_others`, "caller
    did not answer")."""

    to_caller: Promise
    to_others: Promise


def _same_to_all(words: Promise) -> ReasonWords:
    return ReasonWords(words, words)


# How the operator's reasons read in "Ended (…)"; the keys are the operator's own codes. Read
# them with reason_label (or call_reason_label), which picks the words for who reads them.
REASON_LABELS = {
    # Translators: why a call ended, shown as "Ended (hung up, 20 s)". In these, "you" is the
    # employee who pressed Call and "they" the contact called.
    "HangUp": _same_to_all(gettext_lazy("hung up")),
    "CallerBusy": ReasonWords(
        gettext_lazy("your line was busy"),
        # Translators: why a call ended, as an admin reads another's call ("Ended (caller's line
        # busy)", "3 caller's line busy" on the dashboard): "caller" is the employee who pressed
        # Call (主叫), "contact" the person called (被叫).
        gettext_lazy("caller's line busy"),
    ),
    "CallerNoAnswer": ReasonWords(
        gettext_lazy("you did not answer"), gettext_lazy("caller did not answer")
    ),
    "CallerFailure": ReasonWords(
        gettext_lazy("your phone could not be reached"),
        gettext_lazy("caller's phone unreachable"),
    ),
    "CallerAbandon": ReasonWords(
        gettext_lazy("you hung up before they answered"),
        gettext_lazy("caller hung up before the answer"),
    ),
    "CalleeBusy": ReasonWords(gettext_lazy("busy"), gettext_lazy("contact's line busy")),
    "CalleeNoAnswer": ReasonWords(
        gettext_lazy("no answer"), gettext_lazy("contact did not answer")
    ),
    "CalleeFailure": ReasonWords(
        gettext_lazy("their phone could not be reached"),
        gettext_lazy("contact's phone unreachable"),
    ),
    "Other": _same_to_all(gettext_lazy("ended by the network")),
    "Cancelled": _same_to_all(gettext_lazy("cancelled before dialling")),
    # Not the operator's: an admin settled a call whose outcome was unknown (call_settle).
    "SettledByHand": _same_to_all(gettext_lazy("settled by an administrator")),
}


def reason_label(code: str, *, to_caller: bool) -> str:
    """The operator's reason `code` in words, in the active language: as the employee who placed
    the call reads it (`to_caller`), or as anyone else does (admins, finance, their exports). A
    code the portal has no words for is returned as it came."""
    words = REASON_LABELS.get(code)
    if words is None:
        return code
    return str(words.to_caller if to_caller else words.to_others)


def call_reason_label(call: Call, *, reader: AbstractBaseUser) -> str:
    """The call's reason in words, as `reader` reads it (reason_label)."""
    return reason_label(call.reason, to_caller=call_placed_by(reader, call))


def call_placed_by(user: AbstractBaseUser, call: Call) -> bool:
    """Whether `user` is the call's own employee (who placed it, or whose number rang first):
    "you" in its status and reason. An admin reading another's call is not."""
    return user.pk in (call.placed_by_id, call.member.user_id)


def calls_visible_to(user: AbstractBaseUser) -> QuerySet[Call]:
    """Admins see every call; anyone else the calls from their own number or that they placed."""
    calls = Call.objects.select_related("member", "contact", "usage", "recording", "outcome")
    if user.is_staff:
        return calls
    return calls.filter(Q(member__user=user) | Q(placed_by=user))


def duration_formats() -> dict[str, str]:
    """The patterns of a duration, in the active language, by its largest unit: the server's
    (duration_display) and the call page's talk timer, which counts on in the browser, read the
    same. In Chinese without the padding ("2分5秒"): `%(seconds)d` for `%(seconds)02d`."""
    return {
        # Translators: a duration, as in "1 h 02 min 05 s".
        "hours": _("%(hours)d h %(minutes)02d min %(seconds)02d s"),
        # Translators: a duration, as in "2 min 05 s".
        "minutes": _("%(minutes)d min %(seconds)02d s"),
        # Translators: a duration, as in "45 s".
        "seconds": _("%(seconds)d s"),
    }


def duration_display(seconds: int | None) -> str:
    """125 → "2 min 05 s"; 45 → "45 s"; 3725 → "1 h 02 min 05 s" (in Chinese "2分5秒")."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    unit = "hours" if hours else "minutes" if minutes else "seconds"
    return duration_formats()[unit] % {"hours": hours, "minutes": minutes, "seconds": secs}


def reason_export_words(code: str, words: str) -> str:
    """A reason's words for an export's column of words: a code the portal has no words for is
    in the code column beside it, and would be the one English word of a Chinese file here."""
    if code and words == code:
        return _("other (see the code)")
    return words


def call_error_message(call: Call) -> str:
    """Why the call failed, kept in English with it, in the active language ("" if nothing)."""
    return stored_message(call.error_message)


def callee_display(call: Call) -> str:
    return call.callee_name or call.callee


def call_read_by(user: AbstractBaseUser, call: Call) -> Call:
    """The call, marked as read by `user`: call_status_label and call_timeline then tell it to
    them, "you" to its own employee and "caller" to anyone else (an admin, finance). The
    instance is for showing only."""
    call.read_by_its_caller = call_placed_by(user, call)
    return call


def _told_to_caller(call: Call) -> bool:
    # A call not marked by call_read_by is told to its caller.
    return getattr(call, "read_by_its_caller", True)


def call_status_label(call: Call, status: str | None = None) -> str:
    """The call's status (or an earlier `status` of it) as its reader reads it (call_read_by):
    the person who placed it unless marked otherwise."""
    to_caller = _told_to_caller(call)
    match status or call.status:
        case Status.QUEUED | Status.DIALING:
            return _("Placing the call…")
        case Status.CALLING_CALLER if to_caller:
            # Translators: the operator is ringing the employee's own phone first.
            return _("Calling you…")
        case Status.CALLING_CALLER:
            # Translators: as an admin reads another's call: the operator is ringing the phone
            # of the employee who placed it (a name).
            return _("Calling %(name)s…") % {"name": call.member.name}
        case Status.CALLING_CALLEE:
            # Translators: the operator is ringing the contact (a name or a number).
            return _("Calling %(callee)s…") % {"callee": callee_display(call)}
        case Status.CONNECTED:
            return _("Connected")
        case Status.ENDED:
            # The operator's code as it came when we have no words for it.
            reason = reason_label(call.reason, to_caller=to_caller) or _("ended")
            if call.duration_seconds:
                # Translators: a call's status, as in "Ended (hung up, 2 min 05 s)".
                return _("Ended (%(reason)s, %(duration)s)") % {
                    "reason": reason,
                    "duration": duration_display(call.duration_seconds),
                }
            # Translators: a call's status, as in "Ended (busy)".
            return _("Ended (%(reason)s)") % {"reason": reason}
        case Status.FAILED:
            if call.error_message:
                return _("Failed: %(message)s") % {"message": stored_message(call.error_message)}
            return _("Failed")
        case Status.UNKNOWN:
            return _("Outcome unknown")
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
    entries = [TimelineEntry(_("Call placed"), call.created_at)]
    applied = call.events.filter(outcome=CallEvent.Outcome.APPLIED).order_by(
        "operator_timestamp", "id"
    )
    for event in applied:
        status = _NOTIFIED[event.status]
        at = call.ended_at if status == Status.ENDED else event.operator_timestamp
        entries.append(TimelineEntry(call_status_label(call, status), at))
    if call.hangup_requested_at and call.reason != "Cancelled":
        asked = _("You asked to hang up") if _told_to_caller(call) else _("Hang-up requested")
        entries.append(TimelineEntry(asked, call.hangup_requested_at))
    if call.status in Call.FAILURE_STATUSES or call.reason == "Cancelled":
        entries.append(TimelineEntry(call_status_label(call), call.ended_at or call.updated_at))
    return sorted(entries, key=lambda entry: entry.at or call.updated_at)


# Who sees which calls in the history, and how (the history itself: calls.history).


def call_history_sees_all(user: AbstractBaseUser) -> bool:
    """Admins, and finance (who see usage), see every call; anyone else their own."""
    return can_see_usage(user)


def call_history_visible_to(user: AbstractBaseUser) -> QuerySet[Call]:
    """The calls `user` may list: as calls_visible_to, and every call for finance (masked)."""
    calls = Call.objects.select_related(
        "member__department", "contact", "usage", "recording", "outcome"
    )
    if call_history_sees_all(user):
        return calls
    return calls.filter(Q(member__user=user) | Q(placed_by=user))


def call_history_number_display(user: AbstractBaseUser) -> Callable[[str], str]:
    """Finance see numbers masked (clicktodial_portal.masking); admins, and callers on their own
    calls, see them whole."""
    if call_history_sees_all(user):
        return number_display_for(user)
    return _number_whole


def _number_whole(number: str) -> str:
    return number or ""


def call_history_masks_numbers(user: AbstractBaseUser) -> bool:
    """Finance see every call with its numbers masked; they search by name only, since a search
    by number would tell them the hidden digits."""
    return call_history_sees_all(user) and masks_numbers(user)


def call_openable_by(user: AbstractBaseUser, call: Call) -> bool:
    """Whether the call page (call_page_visible_to) opens for `user`. Reads only what the
    history row already holds."""
    return call_history_sees_all(user) or call_is_theirs(user, call)


def call_is_theirs(user: AbstractBaseUser, call: Call) -> bool:
    """Whether `user` may act on the call (hang it up, hear it): an admin, or its caller."""
    return bool(user.is_staff or call_placed_by(user, call))


def call_page_visible_to(user: AbstractBaseUser) -> QuerySet[Call]:
    """The calls whose page opens for `user`: as calls_visible_to, and every call for those
    who see usage (finance, following a report to the calls behind it), to read only."""
    if call_history_sees_all(user):
        return Call.objects.select_related("member", "contact", "usage", "recording", "outcome")
    return calls_visible_to(user)


def call_as_seen_by(user: AbstractBaseUser, call: Call) -> Call:
    """The call as `user` may read it: finance see another's call with its numbers masked, as
    on every report. The instance is for showing only: never save it. Its status reads as
    `user` reads it (call_read_by)."""
    call_read_by(user, call)
    if call_is_theirs(user, call) or not masks_numbers(user):
        return call
    call.caller = mask_number(call.caller)
    call.callee = mask_number(call.callee)
    return call


# The admins' dashboard (members.reports.dashboard), which reads calls through these only.


def calls_live(*, limit: int) -> list[Call]:
    """Calls still in progress, newest first, with their member: exactly the filter of the partial
    index calls_call_live_idx, so only the few live calls are read."""
    calls = Call.objects.filter(status__in=Call.LIVE_STATUSES).select_related("member")
    return list(calls.order_by("-created_at", "-id")[:limit])


def calls_outcome_counts(*, start: datetime, end: datetime) -> list[dict[str, object]]:
    """The calls placed in [start, end), per `status` and `reason`: how many (`total`), and how
    many of them ever connected (`answered`)."""
    return list(
        Call.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("status", "reason")
        .annotate(total=Count("id"), answered=Count("id", filter=Q(connected_at__isnull=False)))
        .order_by()
    )


def calls_placed_by_hour(*, start: datetime, end: datetime) -> list[dict[str, int]]:
    """The finished calls placed in [start, end), per hour of the day in the enterprise's time
    zone (`hour`, 0 to 23, only hours with calls): how many were placed (`placed`) and how many
    were answered and ended (`answered`: the calls debited from the pool, as in the usage
    report). Calls still in progress are left out: their outcome is not known yet."""
    hour = ExtractHour("created_at", tzinfo=timezone.get_current_timezone())
    rows = (
        Call.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status__in=Call.LIVE_STATUSES)
        .annotate(hour=hour)
        .values("hour")
        .annotate(placed=Count("id"), answered=Count("id", filter=Q(status=Status.ENDED)))
        .order_by("hour")
    )
    return [{"hour": r["hour"], "placed": r["placed"], "answered": r["answered"]} for r in rows]


def calls_failed_recent(*, limit: int) -> list[Call]:
    """The last failed calls and calls whose outcome is unknown, newest first, with their member.
    `unknown` is not live (Call.LIVE_STATUSES): nothing will report on it any more, so it is listed
    with the failures."""
    calls = Call.objects.filter(status__in=Call.FAILURE_STATUSES)
    return list(calls.select_related("member").order_by("-created_at", "-id")[:limit])
