"""Reads for the pool and usage reports, from the daily rollup (exact, and small at any age)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncMonth

from members.models import (
    Department,
    Member,
    MinutePool,
    PoolAlert,
    UsageDaily,
    UsageEntry,
    seconds_to_minutes,
)

GROUPINGS = ("member", "department", "day", "month")
NO_DEPARTMENT = "No department"


def can_see_usage(user: AbstractBaseUser) -> bool:
    return user.is_staff or user.has_perm("members.view_usage_report")


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
    """Calls, seconds and billed minutes by member, department, day or month; both days included."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    daily = UsageDaily.objects.filter(day__gte=date_from, day__lte=date_to)
    sums = {
        "calls": Sum("calls"),
        "seconds": Sum("seconds"),
        "billed_seconds": Sum("billed_seconds"),
    }
    if group_by == "month":
        grouped = daily.annotate(month=TruncMonth("day")).values("month").annotate(**sums)
        rows = [
            UsageRow(f"{g['month']:%Y-%m}", f"{g['month']:%B %Y}", *_sums(g))
            for g in grouped.order_by("month")
        ]
    elif group_by == "day":
        grouped = daily.values("day").annotate(**sums).order_by("day")
        rows = [UsageRow(g["day"].isoformat(), g["day"].isoformat(), *_sums(g)) for g in grouped]
    elif group_by == "member":
        grouped = daily.values("member_id").annotate(**sums)
        names = dict(
            Member.objects.filter(pk__in=[g["member_id"] for g in grouped]).values_list(
                "pk", "name"
            )
        )
        rows = [UsageRow(g["member_id"], names[g["member_id"]], *_sums(g)) for g in grouped]
        rows.sort(key=lambda row: (-row.billed_seconds, row.label))
    else:
        grouped = daily.values("department_key").annotate(**sums)
        names = dict(Department.objects.values_list("pk", "name"))
        rows = [
            UsageRow(
                g["department_key"] or "",
                names.get(g["department_key"], NO_DEPARTMENT),
                *_sums(g),
            )
            for g in grouped
        ]
        rows.sort(key=lambda row: (-row.billed_seconds, row.label))
    total = daily.aggregate(**sums)
    return UsageReport(
        group_by, date_from, date_to, rows, UsageRow("total", "Total", *_sums(total))
    )


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


def pool_history() -> QuerySet[MinutePool]:
    """Every billing period, newest first, with the alerts it crossed (lowest threshold first)."""
    return MinutePool.objects.order_by("-period_start").prefetch_related(
        Prefetch("alerts", queryset=PoolAlert.objects.order_by("threshold"))
    )
