"""The calls history: its filters, its sorts, keyset pages and the rows of the page and its
exports. Who sees which calls, and how their numbers read, is calls.selectors'."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from calls.cursors import cursor_decode, cursor_encode, rows_beyond
from calls.models import Call
from calls.selectors import (
    REASON_LABELS,
    call_history_masks_numbers,
    call_history_number_display,
    call_history_visible_to,
    call_is_theirs,
    call_openable_by,
    call_read_by,
    call_status_label,
    duration_display,
    reason_label,
)
from clicktodial_portal.dates import local_midnight
from clicktodial_portal.phones import (
    searched_number,
)

HISTORY_PAGE_SIZE = 50
# The reasons a history can be filtered by: the operator's, and our own "Cancelled".
HISTORY_REASONS = tuple(REASON_LABELS)


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
    searched = searched_number(text)
    if searched is None:
        return None
    return searched.matching("callee", "caller")


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


# How many calls the history counts at most, for its "51-100 of 1,234": past it, "more than
# 10,000". An exact count of years of calls reads every one of them (10 million: half a second,
# and a deep page's position several seconds; bench/README.md), for a figure no one reads exactly.
HISTORY_COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class HistoryPage:
    calls: list[Call]
    # Every call the filters find, on all pages, up to HISTORY_COUNT_LIMIT; over it, that limit
    # and `total_over` says so.
    total: int
    # The position of the first one shown, from 1 (0 when none is); None when more than the
    # limit come before it.
    first: int | None
    next: HistoryCursor | None  # pass as `after` for the next page
    previous: HistoryCursor | None  # pass as `before` for the previous page
    total_over: bool = False

    @property
    def last(self) -> int | None:
        if self.first is None:
            return None
        return self.first + len(self.calls) - 1 if self.calls else 0


def _count_up_to_limit(calls: QuerySet[Call]) -> tuple[int, bool]:
    """How many `calls` there are, counted no further than HISTORY_COUNT_LIMIT; and whether
    there are more."""
    limit = HISTORY_COUNT_LIMIT
    counted = calls.order_by()[: limit + 1].count()
    return min(counted, limit), counted > limit


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
    so a deep page costs what the first does, and a call placed meanwhile shifts nothing. A row
    more than the page is read, to know whether another page follows. The position shown
    ("51-100 of 1,234") comes from counting, not from OFFSET, and no further than
    HISTORY_COUNT_LIMIT: the total and, past the first page, the rows before it.
    """
    field = HISTORY_SORT_FIELDS[sort.lstrip("-")]
    forward, backward = ("lt", "gt") if sort.startswith("-") else ("gt", "lt")
    order = _history_order(sort)
    total, total_over = _count_up_to_limit(calls)
    if before is not None:
        # The rows just before the cursor, read nearest first, then put back in order.
        reversed_order = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)
        nearest = calls.filter(rows_beyond(field, before.value, before.pk, backward))
        rows = list(nearest.order_by(*reversed_order)[:size])[::-1]
        more_after = True  # the cursor's row, at least
    else:
        shown = calls.filter(rows_beyond(field, after.value, after.pk, forward)) if after else calls
        read = list(shown[: size + 1])
        rows, more_after = read[:size], len(read) > size
    if not rows and (after is not None or before is not None) and total:
        # Nothing left beyond the cursor (a link kept too long): the first page, not "no calls".
        return call_history_page(calls, sort=sort, size=size)
    if not rows:
        return HistoryPage(calls=[], total=total, first=0, next=None, previous=None)
    start = HistoryCursor.from_call(rows[0], sort)
    ahead, ahead_over = 0, False
    if after is not None or before is not None:
        ahead, ahead_over = _count_up_to_limit(
            calls.filter(rows_beyond(field, start.value, start.pk, backward))
        )
    return HistoryPage(
        calls=rows,
        total=total,
        total_over=total_over,
        first=None if ahead_over else ahead + 1,
        next=HistoryCursor.from_call(rows[-1], sort) if more_after else None,
        previous=start if (ahead or ahead_over) else None,
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
