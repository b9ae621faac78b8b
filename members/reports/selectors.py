"""Reads for the usage reports, from the daily and monthly rollups (exact, and small at any age),
and the ledger entries behind each figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from calls.selectors import calls_placed_by_hour
from clicktodial_portal.dates import local_midnight
from members.models import (
    Department,
    MinutePool,
    UsageDaily,
    UsageEntry,
    UsageMonthly,
    seconds_to_minutes,
)

GROUPINGS = ("member", "department", "day", "month")
# The label of the calls of members in no department (evaluated in the reader's language).
NO_DEPARTMENT = gettext_lazy("No department")


@dataclass(frozen=True)
class UsageRow:
    key: str | int
    label: str
    calls: int
    seconds: int
    billed_seconds: int

    @property
    def billed_minutes(self) -> Decimal:
        return seconds_to_minutes(self.billed_seconds)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "calls": self.calls,
            "seconds": self.seconds,
            "billed_minutes": self.billed_minutes,
        }


@dataclass(frozen=True)
class UsageReport:
    group_by: str
    date_from: date
    date_to: date
    rows: list[UsageRow]
    total: UsageRow


def usage_report(*, group_by: str, date_from: date, date_to: date) -> UsageReport:
    """Calls, seconds and billed minutes by member, department, day or month; both days included.

    Whole months are read from the monthly rollup and the days at either end from the daily one,
    so a year's report sums a few rows per member, however many calls it covers.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    if group_by == "day":
        parts = [(UsageDaily.objects.filter(day__gte=date_from, day__lte=date_to), "day")]
    else:
        parts = _rollup_parts(date_from, date_to)
    sums = {
        "calls": Sum("calls"),
        "seconds": Sum("seconds"),
        "billed_seconds": Sum("billed_seconds"),
    }
    key_field = {"member": "member_id", "department": "department_key"}.get(group_by, group_by)
    # A member's name comes with its sums (a join), not from a second query naming each member:
    # with thousands of members, that query's parameters cost more than the report (issue 20).
    fields = [key_field, "member__name"] if group_by == "member" else [key_field]
    totals: dict = {}
    names: dict = {}
    overall = [0, 0, 0]
    for rows, period in parts:
        if group_by == "month" and period == "day":
            rows = rows.annotate(month=TruncMonth("day"))
        for group in rows.values(*fields).annotate(**sums).order_by():
            if group_by == "member":
                names[group[key_field]] = group["member__name"]
            found = _sums(group)
            into = totals.setdefault(group[key_field], [0, 0, 0])
            for i in range(3):
                into[i] += found[i]
                overall[i] += found[i]
    rows = _labelled(group_by, totals, names)
    return UsageReport(group_by, date_from, date_to, rows, UsageRow("total", "Total", *overall))


def _rollup_parts(date_from: date, date_to: date) -> list[tuple[QuerySet, str]]:
    """Rollup rows that cover [date_from, date_to] exactly once: (rows, "month" or "day")."""
    first_whole = date_from if date_from.day == 1 else _next_month(date_from)
    ends_a_month = _next_month(date_to) - timedelta(days=1) == date_to
    after_last_whole = _next_month(date_to) if ends_a_month else date_to.replace(day=1)
    daily = UsageDaily.objects.filter(day__gte=date_from, day__lte=date_to)
    if first_whole >= after_last_whole:
        return [(daily, "day")]
    monthly = UsageMonthly.objects.filter(month__gte=first_whole, month__lt=after_last_whole)
    edges = daily.filter(Q(day__lt=first_whole) | Q(day__gte=after_last_whole))
    return [(monthly, "month"), (edges, "day")]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _labelled(group_by: str, totals: dict, member_names: dict) -> list[UsageRow]:
    if group_by == "member":
        rows = [UsageRow(key, member_names[key], *values) for key, values in totals.items()]
    elif group_by == "department":
        names = dict(Department.objects.values_list("pk", "name"))
        none = str(NO_DEPARTMENT)
        rows = [UsageRow(key, names.get(key, none), *values) for key, values in totals.items()]
    elif group_by == "month":
        return [
            UsageRow(f"{month:%Y-%m}", date_format(month, "YEAR_MONTH_FORMAT"), *totals[month])
            for month in sorted(totals)
        ]
    else:
        return [UsageRow(day.isoformat(), day.isoformat(), *totals[day]) for day in sorted(totals)]
    return sorted(rows, key=lambda row: (-row.billed_seconds, row.label))


def _sums(values: dict) -> tuple[int, int, int]:
    return values["calls"] or 0, values["seconds"] or 0, values["billed_seconds"] or 0


# Finance reports: the calls behind a figure, and the pool's history.


@dataclass(frozen=True)
class UsageScope:
    """Which ledger entries make up one figure: a date range, and one member or department.

    `department_key` follows the rollup's convention: a department's id, or 0 for none.
    """

    date_from: date
    date_to: date
    member_id: int | None = None
    department_key: int | None = None


def usage_row_scope(*, report: UsageReport, row: UsageRow) -> UsageScope:
    """The entries behind one row of `report`: its member or department over the report's range,
    or its day or month within the report's range (so a month cut by the range stays cut)."""
    match report.group_by:
        case "member":
            return UsageScope(report.date_from, report.date_to, member_id=int(row.key))
        case "department":
            return UsageScope(report.date_from, report.date_to, department_key=int(row.key or 0))
        case "day":
            day = date.fromisoformat(str(row.key))
            return UsageScope(day, day)
        case "month":
            first = date.fromisoformat(f"{row.key}-01")
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            last = date.fromordinal(following.toordinal() - 1)
            return UsageScope(max(first, report.date_from), min(last, report.date_to))
    raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")


def usage_entries(*, scope: UsageScope) -> QuerySet[UsageEntry]:
    """The ledger entries in `scope`, with their call, member and department, oldest first."""
    entries = UsageEntry.objects.filter(
        # Every entry's day lies in its pool's period. Naming the periods first lets the database
        # start from the (pool, member) and (pool, department) indexes instead of every entry.
        pool__in=MinutePool.objects.filter(
            period_start__lte=scope.date_to, period_end__gte=scope.date_from
        ),
        day__gte=scope.date_from,
        day__lte=scope.date_to,
    )
    if scope.member_id is not None:
        entries = entries.filter(member_id=scope.member_id)
    if scope.department_key is not None:
        if scope.department_key:
            entries = entries.filter(department_id=scope.department_key)
        else:
            entries = entries.filter(department__isnull=True)
    return entries.select_related("call", "member", "department").order_by(
        "day", "call__created_at", "id"
    )


def usage_entries_total(entries: QuerySet[UsageEntry]) -> UsageRow:
    """Calls, seconds and billed seconds of `entries`, summed from the ledger in one query."""
    sums = entries.aggregate(
        calls=Count("id"), seconds=Sum("seconds"), billed_seconds=Sum("billed_seconds")
    )
    return UsageRow("total", "Total", *_sums(sums))


# The usage report's call figures: answer rate, average talk time, calls by hour of the day, and
# this period against the previous one.


@dataclass(frozen=True)
class HourRow:
    hour: int  # 0 to 23, in the enterprise's time zone
    placed: int
    answered: int

    @property
    def answer_rate(self) -> Decimal | None:
        return percent(self.answered, self.placed)


@dataclass(frozen=True)
class CallOutcomes:
    """The finished calls placed in a date range: how many, how many answered, and when."""

    placed: int
    answered: int
    hours: list[HourRow]

    @property
    def answer_rate(self) -> Decimal | None:
        return percent(self.answered, self.placed)


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent, to one decimal (2 of 3 → 66.7); None when `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def usage_call_outcomes(*, date_from: date, date_to: date) -> CallOutcomes:
    """Calls placed from `date_from` to `date_to` (both days included, the enterprise's days, as
    the ledger counts them), answered or not, by hour of the day."""
    found = calls_placed_by_hour(
        start=local_midnight(date_from), end=local_midnight(date_to + timedelta(days=1))
    )
    hours = [HourRow(row["hour"], row["placed"], row["answered"]) for row in found]
    return CallOutcomes(
        placed=sum(row.placed for row in hours),
        answered=sum(row.answered for row in hours),
        hours=hours,
    )


def average_talk_seconds(row: UsageRow) -> int | None:
    """A row's talk time per call, to the second (each call in the ledger was answered)."""
    if not row.calls:
        return None
    return int((Decimal(row.seconds) / row.calls).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PeriodComparison:
    """This range's totals against those of the same number of days just before it."""

    days: int
    previous_from: date
    previous_to: date
    previous: UsageRow
    current: UsageRow

    @property
    def billed_change(self) -> Decimal | None:
        return _change(self.current.billed_seconds, self.previous.billed_seconds)

    @property
    def calls_change(self) -> Decimal | None:
        return _change(self.current.calls, self.previous.calls)


def _change(now: int, before: int) -> Decimal | None:
    """How much `now` differs from `before`, in whole percent (+12, -5); None from nothing."""
    if not before:
        return None
    return (Decimal(now - before) * 100 / before).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def usage_period_comparison(*, report: UsageReport) -> PeriodComparison:
    days = (report.date_to - report.date_from).days + 1
    previous_to = report.date_from - timedelta(days=1)
    previous_from = previous_to - timedelta(days=days - 1)
    previous = usage_report(group_by="month", date_from=previous_from, date_to=previous_to)
    return PeriodComparison(days, previous_from, previous_to, previous.total, report.total)
