"""Reads of the pool: its periods with their alerts, and the minutes used per member or department
this period (for the "X of Y" caps)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from members.models import MinutePool, PoolAlert, UsageMonthly, seconds_to_minutes


def pool_history() -> QuerySet[MinutePool]:
    """Every billing period, newest first, with the alerts it crossed (lowest threshold first)."""
    return MinutePool.objects.order_by("-period_start").prefetch_related(
        Prefetch("alerts", queryset=PoolAlert.objects.order_by("threshold"))
    )


def minutes_used_in_period(*, pool: MinutePool, by: str) -> dict[int, Decimal]:
    """Billed minutes per member (`by="member"`) or department this period, for "X of Y" caps."""
    key = {"member": "member_id", "department": "department_key"}[by]
    used = (
        UsageMonthly.objects.filter(month=pool.period_start)
        .values(key)
        .annotate(billed=Sum("billed_seconds"))
        .order_by()
    )
    return {row[key]: seconds_to_minutes(row["billed"]) for row in used}
