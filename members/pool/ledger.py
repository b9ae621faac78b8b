"""The ledger: each ended call debited from its period's pool exactly once, by the pool's billing
rule, with the daily and monthly rollups moved by the same amounts in the same transaction."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Protocol

from django.db import connection
from django.db.models import F
from django.utils import timezone

from members.models import Member, MinutePool, UsageDaily, UsageEntry, UsageMonthly
from members.pool.alerts import alerts_raise
from members.pool.services import pool_for_day


class EndedCall(Protocol):
    """What the ledger reads of an ended call (a calls.Call, which members does not import)."""

    pk: int
    created_at: datetime
    duration_seconds: int | None
    member_id: int
    member: Member


BILLING_UNITS = {
    MinutePool.BillingRule.PER_MINUTE: 60,
    MinutePool.BillingRule.PER_6_SECONDS: 6,
    MinutePool.BillingRule.PER_SECOND: 1,
}


def billed_seconds_for(seconds: int, *, rule: str) -> int:
    """Seconds billed for a call of `seconds` under `rule`; a call never connected bills 0."""
    unit = BILLING_UNITS[MinutePool.BillingRule(rule)]
    return math.ceil(seconds / unit) * unit if seconds > 0 else 0


def usage_record(*, call: EndedCall) -> UsageEntry | None:
    """Debit an ended call from its period's pool, exactly once.

    Runs inside the transaction that ended the call, with the call's row locked, so a second
    Disconnected finds the entry; the entry's unique call is the last guard. The pool's balance and
    the daily and monthly rollups move by the same amounts in the same transaction, with `F()` and
    upserts, so concurrent calls never lose an update.
    """
    if UsageEntry.objects.filter(call_id=call.pk).exists():
        return None
    day = timezone.localdate(call.created_at)
    pool = pool_for_day(day)
    seconds = call.duration_seconds or 0
    billed = billed_seconds_for(seconds, rule=pool.billing_rule)
    department_id = call.member.department_id
    entry = UsageEntry.objects.create(
        call_id=call.pk,
        pool=pool,
        member_id=call.member_id,
        department_id=department_id,
        day=day,
        seconds=seconds,
        billed_seconds=billed,
    )
    MinutePool.objects.filter(pk=pool.pk).update(
        billed_seconds_used=F("billed_seconds_used") + billed, updated_at=timezone.now()
    )
    for table, period in ((UsageDaily, day), (UsageMonthly, day.replace(day=1))):
        _rollup_add(
            table=table,
            period=period,
            member_id=call.member_id,
            department_key=department_id or 0,
            seconds=seconds,
            billed_seconds=billed,
        )
    if billed:
        alerts_raise(pool_id=pool.pk)
    return entry


def _rollup_add(
    *,
    table: type[UsageDaily | UsageMonthly],
    period: date,
    member_id: int,
    department_key: int,
    seconds: int,
    billed_seconds: int,
) -> None:
    # One statement, atomic in both SQLite and PostgreSQL: no read-modify-write to race.
    name = table._meta.db_table
    period_column = "day" if table is UsageDaily else "month"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {name} ({period_column}, member_id, department_key, calls, seconds,
                                billed_seconds)
            VALUES (%s, %s, %s, 1, %s, %s)
            ON CONFLICT ({period_column}, member_id, department_key) DO UPDATE SET
                calls = {name}.calls + 1,
                seconds = {name}.seconds + excluded.seconds,
                billed_seconds = {name}.billed_seconds + excluded.billed_seconds
            """,  # noqa: S608 - our own model's table and column; the values are parameters
            [period, member_id, department_key, seconds, billed_seconds],
        )
