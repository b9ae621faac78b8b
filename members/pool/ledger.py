"""The ledger: each ended call debited from its period's pool exactly once, by the pool's billing
rule, with the daily and monthly rollups moved by the same amounts in the same transaction."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.db.models import F
from django.utils import timezone

from clicktodial_portal.sql import insert_for_each, prepared_cursor
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


def usage_record(*, call: EndedCall) -> None:
    """Debit an ended call from its period's pool, exactly once.

    Runs inside the transaction that ended the call, with the call's row locked, so a second
    Disconnected finds the entry; the entry's unique call is the last guard. The pool's balance and
    the daily and monthly rollups move by the same amounts in the same transaction, with `F()` and
    upserts, so concurrent calls never lose an update (on PostgreSQL in one statement).
    """
    if UsageEntry.objects.filter(call_id=call.pk).exists():
        return
    pool = pool_for_day(timezone.localdate(call.created_at))
    entry = usage_entry_for(call, pool=pool)
    if connection.vendor == "postgresql":
        debit, params = debit_statement(entry, source="debited")
        statement = f"""
            WITH debited AS (SELECT %s AS id), {debit}
            SELECT billed_seconds_used FROM pool
        """  # noqa: S608 - see debit_statement
        with prepared_cursor() as cursor:
            cursor.execute(statement, [call.pk, *params])
            (pool.billed_seconds_used,) = cursor.fetchone()
    else:
        entry.save()
        MinutePool.objects.filter(pk=pool.pk).update(
            billed_seconds_used=F("billed_seconds_used") + entry.billed_seconds,
            updated_at=timezone.now(),
        )
        pool.refresh_from_db(fields=["billed_seconds_used"])
        for monthly in (False, True):
            with connection.cursor() as cursor:
                cursor.execute(_rollup_sql(monthly=monthly), _rollup_values(entry, monthly=monthly))
    if entry.billed_seconds:
        alerts_raise(pool=pool)


def usage_entry_for(call: EndedCall, *, pool: MinutePool) -> UsageEntry:
    """The ledger's entry for an ended call (unsaved), billed by its period's `pool`'s rule."""
    seconds = call.duration_seconds or 0
    return UsageEntry(
        call_id=call.pk,
        pool=pool,
        member_id=call.member_id,
        department_id=call.member.department_id,
        day=timezone.localdate(call.created_at),
        seconds=seconds,
        billed_seconds=billed_seconds_for(seconds, rule=pool.billing_rule),
    )


def debit_statement(entry: UsageEntry, *, source: str) -> tuple[str, list[object]]:
    """PostgreSQL: the CTEs that write `entry`, move its pool's balance and both rollups, once for
    each row of `source` (a CTE before them yielding the call's id, or nothing: then nothing is
    written); the one named `pool` returns the pool's `billed_seconds_used` after it. Issue 20:
    one round trip instead of four, for `usage_record` and for calls.services.progress, which
    ends a call and debits it in one statement."""
    insert, insert_params = insert_for_each(entry, source=source, column="call_id")
    now = timezone.now()
    statement = f"""
        usage_entry AS ({insert}),
        pool AS (
            UPDATE {MinutePool._meta.db_table}
            SET billed_seconds_used = billed_seconds_used + %s, updated_at = %s
            WHERE id = %s AND EXISTS (SELECT FROM {source})
            RETURNING billed_seconds_used
        ),
        daily AS ({_rollup_sql(monthly=False, source=source)}),
        monthly AS ({_rollup_sql(monthly=True, source=source)})
    """  # noqa: S608 - our own models' tables; the values are parameters
    params = [
        *insert_params,
        entry.billed_seconds,
        now,
        entry.pool_id,
        *_rollup_values(entry, monthly=False),
        *_rollup_values(entry, monthly=True),
    ]
    return statement, params


def _rollup_sql(*, monthly: bool, source: str | None = None) -> str:
    """One upsert that adds a call to its daily or monthly rollup row: atomic in both SQLite and
    PostgreSQL, no read-modify-write to race. With a `source` (PostgreSQL), once for each of its
    rows."""
    name = (UsageMonthly if monthly else UsageDaily)._meta.db_table
    period_column = "month" if monthly else "day"
    rows = (
        f"SELECT %s, %s, %s, 1, %s, %s FROM {source}"  # noqa: S608 - a CTE's name
        if source
        else "VALUES (%s, %s, %s, 1, %s, %s)"
    )
    return f"""
        INSERT INTO {name} ({period_column}, member_id, department_key, calls, seconds,
                            billed_seconds)
        {rows}
        ON CONFLICT ({period_column}, member_id, department_key) DO UPDATE SET
            calls = {name}.calls + 1,
            seconds = {name}.seconds + excluded.seconds,
            billed_seconds = {name}.billed_seconds + excluded.billed_seconds
    """


def _rollup_values(entry: UsageEntry, *, monthly: bool) -> list[object]:
    period = entry.day.replace(day=1) if monthly else entry.day
    return [period, entry.member_id, entry.department_id or 0, entry.seconds, entry.billed_seconds]
