"""Reads for the pool and usage reports, from the daily rollup (exact, and small at any age)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from members.models import Department, Member, UsageDaily, seconds_to_minutes

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
