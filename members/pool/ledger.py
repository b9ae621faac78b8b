"""The ledger: each ended call debited from its period's pool exactly once, by the pool's billing
rule, with the daily and monthly rollups moved by the same amounts in the same transaction."""

from __future__ import annotations

import math
from datetime import datetime
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
    upserts, so concurrent calls never lose an update (on PostgreSQL in one statement).
    """
    if UsageEntry.objects.filter(call_id=call.pk).exists():
        return None
    day = timezone.localdate(call.created_at)
    pool = pool_for_day(day)
    seconds = call.duration_seconds or 0
    billed = billed_seconds_for(seconds, rule=pool.billing_rule)
    entry = UsageEntry(
        call_id=call.pk,
        pool=pool,
        member_id=call.member_id,
        department_id=call.member.department_id,
        day=day,
        seconds=seconds,
        billed_seconds=billed,
    )
    if connection.vendor == "postgresql":
        pool.billed_seconds_used = _debit_in_one_statement(entry)
    else:
        entry.save()
        MinutePool.objects.filter(pk=pool.pk).update(
            billed_seconds_used=F("billed_seconds_used") + billed, updated_at=timezone.now()
        )
        pool.refresh_from_db(fields=["billed_seconds_used"])
        for monthly in (False, True):
            with connection.cursor() as cursor:
                cursor.execute(_rollup_sql(monthly=monthly), _rollup_values(entry, monthly=monthly))
    if billed:
        alerts_raise(pool=pool)
    return entry


def _debit_in_one_statement(entry: UsageEntry) -> int:
    """PostgreSQL: the entry, the pool's balance and both rollups in one round trip (issue 20);
    the pool's billed seconds after it."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH entry AS (
                INSERT INTO {UsageEntry._meta.db_table} (call_id, pool_id, member_id,
                    department_id, day, seconds, billed_seconds, created_at, updated_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                RETURNING id
            ), pool AS (
                UPDATE {MinutePool._meta.db_table}
                SET billed_seconds_used = billed_seconds_used + %s, updated_at = %s
                WHERE id = %s
                RETURNING billed_seconds_used
            ), daily AS ({_rollup_sql(monthly=False)}
            ), monthly AS ({_rollup_sql(monthly=True)}
            )
            SELECT (SELECT id FROM entry), (SELECT billed_seconds_used FROM pool)
            """,  # noqa: S608 - our own models' tables; the values are parameters
            [
                entry.call_id,
                entry.pool_id,
                entry.member_id,
                entry.department_id,
                entry.day,
                entry.seconds,
                entry.billed_seconds,
                now,
                now,
                entry.billed_seconds,
                now,
                entry.pool_id,
                *_rollup_values(entry, monthly=False),
                *_rollup_values(entry, monthly=True),
            ],
        )
        entry.pk, used = cursor.fetchone()
    entry._state.adding = False
    entry.created_at = entry.updated_at = now
    return used


def _rollup_sql(*, monthly: bool) -> str:
    """One upsert that adds a call to its daily or monthly rollup row: atomic in both SQLite and
    PostgreSQL, no read-modify-write to race."""
    name = (UsageMonthly if monthly else UsageDaily)._meta.db_table
    period_column = "month" if monthly else "day"
    return f"""
        INSERT INTO {name} ({period_column}, member_id, department_key, calls, seconds,
                            billed_seconds)
        VALUES (%s, %s, %s, 1, %s, %s)
        ON CONFLICT ({period_column}, member_id, department_key) DO UPDATE SET
            calls = {name}.calls + 1,
            seconds = {name}.seconds + excluded.seconds,
            billed_seconds = {name}.billed_seconds + excluded.billed_seconds
    """  # noqa: S608 - our own model's table and column; the values are parameters


def _rollup_values(entry: UsageEntry, *, monthly: bool) -> list[object]:
    period = entry.day.replace(day=1) if monthly else entry.day
    return [period, entry.member_id, entry.department_id or 0, entry.seconds, entry.billed_seconds]
