"""Reads for contacts and calls: who may see what, how a call's progress reads to a person, and
the calls history (filters, keyset pages, rows for the page and its exports)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractHour
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls.cursors import cursor_decode, cursor_encode, rows_beyond
from calls.messages import stored_message
from calls.models import Call, CallEvent
from clicktodial_portal.dates import local_midnight
from clicktodial_portal.masking import mask_number, masks_numbers, number_display_for
from clicktodial_portal.phones import (
    InvalidPhoneNumber,
    looks_like_a_number,
    phone_number_normalize,
)
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


# The calls history: who sees which calls, its filters, keyset pages and exports.

HISTORY_PAGE_SIZE = 50
# The reasons a history can be filtered by: the operator's, and our own "Cancelled".
HISTORY_REASONS = tuple(REASON_LABELS)


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


@dataclass(frozen=True)
class CallHistoryFilters:
    """What the history is narrowed to; every field optional. Days are local to the enterprise."""

    date_from: date | None = None
    date_to: date | None = None
    member_id: int | None = None
    department_id: int | None = None
    status: str = ""
    reason: str = ""
    over_limit: bool = False
    search: str = ""
    outcome_id: int | None = None


def _number_search(text: str) -> Q | None:
    """Calls to or from a number typed in national or E.164 form, whole or in part."""
    if not looks_like_a_number(text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < 3:
        return None
    try:
        e164 = phone_number_normalize(text)
    except InvalidPhoneNumber:
        # Part of a number: its digits as they appear in E.164 (a mobile's national digits do).
        return Q(callee__contains=digits) | Q(caller__contains=digits)
    return Q(callee=e164) | Q(caller=e164)


# The columns the history sorts by, as the URL names them ("-date": newest first). Each is
# paged by keyset on (column, id); a call that never connected counts 0 seconds of talk.
HISTORY_SORT_FIELDS = {"date": "created_at", "duration": "talk_seconds", "member": "member__name"}
HISTORY_SORT_DEFAULT = "-date"


def call_history_sort_parse(text: str) -> str:
    """`text` when it names a sort ("duration", "-member"), else the default: newest first."""
    return text if text.lstrip("-") in HISTORY_SORT_FIELDS else HISTORY_SORT_DEFAULT


def call_history(
    *, user: AbstractBaseUser, filters: CallHistoryFilters, sort: str = HISTORY_SORT_DEFAULT
) -> QuerySet[Call]:
    """The calls `user` may list, narrowed by `filters`, in `sort`'s order (newest first)."""
    calls = call_history_visible_to(user).annotate(
        talk_seconds=Coalesce("duration_seconds", Value(0))
    )
    if filters.date_from:
        calls = calls.filter(created_at__gte=local_midnight(filters.date_from))
    if filters.date_to:
        calls = calls.filter(created_at__lt=local_midnight(filters.date_to + timedelta(days=1)))
    if filters.member_id:
        calls = calls.filter(member_id=filters.member_id)
    if filters.department_id:
        calls = calls.filter(member__department_id=filters.department_id)
    if filters.status:
        calls = calls.filter(status=filters.status)
    if filters.reason:
        calls = calls.filter(reason=filters.reason)
    if filters.over_limit:
        calls = calls.filter(over_limit=True)
    if filters.outcome_id:
        calls = calls.filter(outcome_id=filters.outcome_id)
    text = filters.search.strip()
    if text:
        match = Q(callee_name__icontains=text) | Q(contact__name__icontains=text)
        number_match = None if call_history_masks_numbers(user) else _number_search(text)
        calls = calls.filter(match | number_match if number_match is not None else match)
    return calls.order_by(*_history_order(sort))


def _history_order(sort: str) -> tuple[str, str]:
    field = HISTORY_SORT_FIELDS[sort.lstrip("-")]
    return (f"-{field}", "-id") if sort.startswith("-") else (field, "id")


@dataclass(frozen=True)
class HistoryCursor:
    """A position in the history sorted by `sort`: a row's sort value and id, as an opaque token."""

    sort: str
    value: datetime | int | str
    pk: int

    def token(self) -> str:
        value = self.value
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        return cursor_encode(self.sort, value, self.pk)

    @classmethod
    def from_call(cls, call: Call, sort: str = HISTORY_SORT_DEFAULT) -> HistoryCursor:
        match sort.lstrip("-"):
            case "date":
                value: datetime | int | str = call.created_at
            case "duration":
                value = call.duration_seconds or 0
            case _:
                value = call.member.name
        return cls(sort, value, call.pk)

    @classmethod
    def parse(cls, token: str, *, sort: str = HISTORY_SORT_DEFAULT) -> HistoryCursor | None:
        """The cursor in `token`, or None when it is not one (edited or truncated by hand), or
        one of another sort (a link kept from before the sort changed)."""
        decoded = cursor_decode(token)
        if decoded is None:
            return None
        token_sort, value, pk = decoded
        if token_sort != sort:
            return None
        match sort.lstrip("-"):
            case "date":
                try:
                    value = datetime.fromisoformat(value) if isinstance(value, str) else None
                except ValueError:
                    return None
                # Aware, and inside the years a database date can be compared with.
                if value is None or value.tzinfo is None or not 1900 <= value.year <= 9000:
                    return None
            case "duration":
                if type(value) is not int:
                    return None
            case _:
                if not isinstance(value, str):
                    return None
        return cls(sort, value, pk)


@dataclass(frozen=True)
class HistoryPage:
    calls: list[Call]
    total: int  # every call the filters find, on all pages
    first: int  # the position of the first one shown, from 1 (0 when none is)
    next: HistoryCursor | None  # pass as `after` for the next page
    previous: HistoryCursor | None  # pass as `before` for the previous page

    @property
    def last(self) -> int:
        return self.first + len(self.calls) - 1 if self.calls else 0


def call_history_page(
    calls: QuerySet[Call],
    *,
    sort: str = HISTORY_SORT_DEFAULT,
    after: HistoryCursor | None = None,
    before: HistoryCursor | None = None,
    size: int = HISTORY_PAGE_SIZE,
) -> HistoryPage:
    """One page of `calls` (from call_history) in `sort`'s order by keyset on (sort value, id):
    the rows after `after`, or before `before`, or the first ones.

    The id breaks ties, so calls at the same second (or of the same length or member) are
    neither skipped nor shown twice. Unlike OFFSET, the database seeks straight to the cursor,
    so a deep page costs what the first does, and a call placed meanwhile shifts nothing. The
    position shown ("51-100 of 1,234") comes from counting, not from OFFSET: the total and,
    past the first page, the rows before it.
    """
    field = HISTORY_SORT_FIELDS[sort.lstrip("-")]
    forward, backward = ("lt", "gt") if sort.startswith("-") else ("gt", "lt")
    order = _history_order(sort)
    total = calls.count()
    if before is not None:
        # The rows just before the cursor, read nearest first, then put back in order.
        reversed_order = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)
        nearest = calls.filter(rows_beyond(field, before.value, before.pk, backward))
        rows = list(nearest.order_by(*reversed_order)[:size])[::-1]
    else:
        shown = calls.filter(rows_beyond(field, after.value, after.pk, forward)) if after else calls
        rows = list(shown[:size])
    if not rows and (after is not None or before is not None) and total:
        # Nothing left beyond the cursor (a link kept too long): the first page, not "no calls".
        return call_history_page(calls, sort=sort, size=size)
    if not rows:
        return HistoryPage(calls=[], total=total, first=0, next=None, previous=None)
    start = HistoryCursor.from_call(rows[0], sort)
    ahead = 0
    if after is not None or before is not None:
        ahead = calls.filter(rows_beyond(field, start.value, start.pk, backward)).count()
    return HistoryPage(
        calls=rows,
        total=total,
        first=ahead + 1,
        next=HistoryCursor.from_call(rows[-1], sort) if ahead + len(rows) < total else None,
        previous=start if ahead else None,
    )


@dataclass(frozen=True)
class HistoryRow:
    """A call as the history shows it and exports it, its numbers as `user` may see them."""

    call: Call
    when: datetime
    member: str
    department: str
    caller: str
    callee: str
    contact: str
    status_label: str
    reason: str
    duration: str
    billed_minutes: Decimal | None
    over_limit: bool
    can_open: bool
    # The recording's status (Recording.Status) or "" when the operator reported none; whether
    # the call page's player is there for `user`.
    recording_status: str
    recording_label: str
    can_hear: bool
    # How it went, as its caller noted after it: the outcome's words and code, and the notes.
    outcome: str
    outcome_code: str
    notes: str


def _recording_of(call: Call) -> object | None:
    try:
        return call.recording
    except ObjectDoesNotExist:
        return None


def call_history_rows(
    *, user: AbstractBaseUser, calls: Iterable[Call], hears_all: bool = False
) -> Iterator[HistoryRow]:
    """The history's rows; `hears_all` when `user` may hear every call's recording."""
    show_number = call_history_number_display(user)
    for call in calls:
        call_read_by(user, call)
        recording = _recording_of(call)
        member = call.member
        callee = show_number(call.callee)
        # "Calling +86…": the label must not show a number the row masks.
        status_label = call_status_label(call).replace(call.callee, callee)
        yield HistoryRow(
            call=call,
            when=timezone.localtime(call.created_at),
            member=member.name,
            department=member.department.name if member.department else "",
            caller=show_number(call.caller),
            callee=callee,
            contact=call.callee_name or (call.contact.name if call.contact else ""),
            status_label=status_label,
            reason=reason_label(call.reason, to_caller=call.read_by_its_caller),
            duration=duration_display(call.duration_seconds),
            billed_minutes=call.billed_minutes,
            over_limit=call.over_limit,
            can_open=call_openable_by(user, call),
            recording_status=recording.status if recording else "",
            recording_label=recording.get_status_display() if recording else "",
            can_hear=call_openable_by(user, call) and (hears_all or call_is_theirs(user, call)),
            outcome=call.outcome.label if call.outcome else "",
            outcome_code=call.outcome.code if call.outcome else "",
            notes=call.notes,
        )


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
