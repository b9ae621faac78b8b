"""A call's progress told by the operator, applied in one PostgreSQL statement (issue 20).

Most notifications are the plain case: a live call, the only one with its identifier, is told it
rings the caller, rings the callee, is connected, or has ended. The general path
(calls.services.notifications and calls.lifecycle) takes five round trips for a step (BEGIN, the
call locked, moved, the event inserted, COMMIT) and ten for the end (its debit, the pool, the
rollups and the recording besides), each statement compiled by the ORM. Here the same writes are
one statement, which PostgreSQL runs as one transaction: it locks the call, moves it and keeps the
event (and, at the end, debits it and registers its recording), or, when the call is anything but
that plain case, changes nothing at all.

It is a shortcut, not a second set of rules: it applies only where `lifecycle.notification_apply`
would give `applied` with the same writes (the same columns, the same rows, computed by the same
functions), or, for a progress notification the live call has already had, `duplicate` with the
same event row; it says so by returning the call's id. Otherwise it returns None and the caller
takes the general path, which decides everything else (a repeated end, late news, a reused
identifier, an `unknown` call). SQLite has no data-modifying CTE with FOR UPDATE, so it always
takes the general path; the notification suite runs on both databases.
"""

from __future__ import annotations

import copy
import logging

from django.db import connection
from django.utils import timezone

from calls.lifecycle import NOTIFIED_STATUS, RANK, ending_fields, status_changed
from calls.models import Call, CallEvent
from clicktodial_portal.fields import fitted
from clicktodial_portal.logs import call_logging
from clicktodial_portal.sql import assignments, insert_for_each, prepared_cursor
from members.models import Member, MinutePool
from members.pool.alerts import alerts_raise
from members.pool.ledger import debit_statement, usage_entry_for
from members.pool.services import period_bounds, pool_for_day
from operator_api import StatusNotification
from recordings.services import recording_for, recording_registered

logger = logging.getLogger(__name__)

Status = Call.Status

# The statuses that a notification moves a live call to without ending it.
_PROGRESS = {status for status in NOTIFIED_STATUS.values() if status in Call.LIVE_STATUSES}

# SQL conditions under which the shortcut stands aside, writing nothing, so that the general path
# applies the notification and sends calls.signals: an app that listens to a call's changes adds
# one at start-up (webhooks: while an endpoint is active). Checked in the statement itself, no
# round trip more.
_GUARDS: list[str] = []


def shortcut_guard_add(condition: str) -> None:
    """Make the shortcut stand aside whenever the SQL `condition` holds."""
    if condition not in _GUARDS:
        _GUARDS.append(condition)


def progress_applied(
    *, callidentifier: str, notification: StatusNotification, event: CallEvent
) -> int | None:
    """Apply a notification in one statement, when the plain case holds: the id of its call,
    with `event` (the notification as received, not saved yet) kept as applied, or, when a
    progress notification says again what the call already is, as a duplicate; else None, with
    nothing written."""
    if connection.vendor != "postgresql":
        return None
    target = NOTIFIED_STATUS[notification.status]
    if target in _PROGRESS:
        return _step_applied(callidentifier, notification, event, target)
    if target == Status.ENDED:
        return _end_applied(callidentifier, notification, event)
    return None


def _step_applied(
    callidentifier: str, notification: StatusNotification, event: CallEvent, target: str
) -> int | None:
    # From what a live call may move to `target` (an `unknown` call is not live: general path).
    movable = sorted(s for s in Call.LIVE_STATUSES if RANK[s] < RANK[target])
    fields: dict[str, object] = {"status": target, "error_code": "", "error_message": ""}
    if target == Status.CONNECTED:
        fields["connected_at"] = notification.timestamp
    fields["updated_at"] = timezone.now()
    numbers = [notification.caller, notification.callee]
    moving, moving_params = _moving(
        callidentifier,
        fields,
        "status = ANY(%s) AND caller = %s AND callee = %s",
        [movable, *numbers],
        returning="id, reason",
    )
    # The same news again (the operator resends; one in ten in the benchmark): the call already
    # has this status, so the event is kept as a duplicate, as lifecycle.notification_apply
    # keeps it. Read from `candidates`, whose rows are as locked (a concurrent change included).
    repeated = copy.copy(event)
    repeated.outcome = CallEvent.Outcome.DUPLICATE
    repeated.detail = fitted(CallEvent, "detail", f"The call is already {target}.")
    kept_again, kept_again_params = insert_for_each(repeated, source="repeated", column="call_id")
    kept, kept_params = _event_insert(event)
    statement = f"""
        {moving}, kept AS ({kept}
        ), repeated AS (
            SELECT id FROM candidates
            WHERE (SELECT count(*) FROM candidates) = 1
              AND status = %s AND caller = %s AND callee = %s
        ), kept_again AS ({kept_again})
        SELECT (SELECT id FROM moved), (SELECT reason FROM moved), (SELECT id FROM repeated)
    """  # noqa: S608 - our own models' tables; every value is a parameter
    params = [*moving_params, *kept_params, target, *numbers, *kept_again_params]
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        call_id, reason, repeated_call_id = cursor.fetchone()
    if call_id is None:
        return repeated_call_id
    with call_logging(call_id=call_id):
        status_changed(call_id=call_id, status=target, reason=reason)
    return call_id


def _end_applied(
    callidentifier: str, notification: StatusNotification, event: CallEvent
) -> int | None:
    """The end: the call read first (without a lock), its end, debit and recording worked out by
    the general path's own functions, then written in one statement on condition that the row is
    still as read (else nothing is written, and the general path decides under the lock)."""
    found = _end_read(callidentifier)
    if found is None:
        return None
    call, pool = found
    if call.status not in Call.LIVE_STATUSES or (notification.caller, notification.callee) != (
        call.caller,
        call.callee,
    ):
        return None
    # The month's first end opens its pool (only an end that is applied: the checks above first).
    pool = pool or pool_for_day(timezone.localdate(call.created_at))
    status_read, connected_at_read = call.status, call.connected_at
    fields = {
        "status": Status.ENDED,
        "error_code": "",
        "error_message": "",
        **ending_fields(call, notification),
        "updated_at": timezone.now(),
    }
    for name, value in fields.items():
        setattr(call, name, value)
    entry = usage_entry_for(call, pool=pool)
    debit, debit_params = debit_statement(entry, source="moved")
    recording = recording_for(call)
    recorded, recorded_params = ("SELECT NULL::bigint AS id", [])  # recording was off
    if recording is not None:
        insert, recorded_params = insert_for_each(recording, source="moved", column="call_id")
        recorded = f"{insert} RETURNING id"
    moving, moving_params = _moving(
        callidentifier,
        fields,
        "id = %s AND status = %s AND connected_at IS NOT DISTINCT FROM %s",
        [call.pk, status_read, connected_at_read],
        returning="id",
    )
    kept, kept_params = _event_insert(event)
    statement = f"""
        {moving}, kept AS ({kept}
        ), recorded AS ({recorded}
        ), {debit}
        SELECT (SELECT id FROM moved), (SELECT id FROM recorded),
            (SELECT billed_seconds_used FROM pool)
    """  # noqa: S608 - our own models' tables; every value is a parameter
    params = [*moving_params, *kept_params, *recorded_params, *debit_params]
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        moved, recording_id, used = cursor.fetchone()
    if moved is None:
        return None
    with call_logging(call_id=call.pk):
        status_changed(call_id=call.pk, status=Status.ENDED, reason=call.reason)
        if recording is not None:
            recording.pk = recording_id
            recording._state.adding = False
            recording_registered(recording)
        pool.billed_seconds_used = used
        if entry.billed_seconds:
            _alerts_raise_after_commit(pool)
    return call.pk


def _moving(
    callidentifier: str,
    fields: dict[str, object],
    condition: str,
    condition_params: list[object],
    *,
    returning: str,
) -> tuple[str, list[object]]:
    """The head of both statements: the calls with the identifier locked (`candidates`: id,
    status and numbers, as locked, so a concurrent commit waited for is what they say), and the
    one moved to `fields` (`moved`, RETURNING `returning`) when it is alone with the identifier
    and `condition` holds of it. The conditions are on the row being updated, so that a
    concurrent notification's commit, which the lock waited for, is what they are checked
    against (READ COMMITTED re-reads it)."""
    moves, move_params = assignments(Call, fields)
    table = Call._meta.db_table
    guards = "".join(f" AND NOT ({guard})" for guard in _GUARDS)
    head = f"""
        WITH candidates AS (
            SELECT id, status, caller, callee FROM {table} WHERE callidentifier = %s FOR UPDATE
        ), moved AS (
            UPDATE {table} SET {moves}
            WHERE id IN (SELECT id FROM candidates)
              AND (SELECT count(*) FROM candidates) = 1
              AND {condition}{guards}
            RETURNING {returning}
        )"""  # noqa: S608 - our own model's table and the apps' guards; every value a parameter
    return head, [callidentifier, *move_params, *condition_params]


def _alerts_raise_after_commit(pool: MinutePool) -> None:
    """The pool's alerts, after the statement that debited it has committed (the general path
    raises them in its transaction). The notification is kept and applied by then: a failure
    here is logged, not answered, and the pool's next billed end finds it still past the
    threshold and raises the alert (each is raised once)."""
    try:
        alerts_raise(pool=pool)
    except Exception:
        logger.exception("pool %s: its alerts could not be raised now", pool.pk)


def _end_read(callidentifier: str) -> tuple[Call, MinutePool | None] | None:
    """The only call with this identifier (not locked) with what its end needs, and its month's
    pool when that is open; None when no call or more than one has it. One round trip of plain
    SQL: the ORM's compiling of two queries cost more than the rest of the end (issue 20)."""
    # The pools whose period holds the call's UTC day or the day either side: its local day,
    # which decides its period, is one of those whatever the time zone; Python picks the one.
    # (No time zone's name goes to the database: one it did not know would refuse every end.)
    utc_day = "(c.created_at AT TIME ZONE 'UTC')::date"
    with prepared_cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.id, c.status, c.caller, c.callee, c.connected_at, c.created_at, c.member_id,
                m.department_id, p.id, p.period_start, p.billing_rule, p.minutes_allotted,
                p.billed_seconds_used, p.alert_thresholds
            FROM {Call._meta.db_table} c
            JOIN {Member._meta.db_table} m ON m.id = c.member_id
            LEFT JOIN {MinutePool._meta.db_table} p
                ON p.period_start <= {utc_day} + 1 AND p.period_end >= {utc_day} - 1
            WHERE c.callidentifier = %s
            LIMIT 3
            """,  # noqa: S608 - our own models' tables; the value is a parameter
            [callidentifier],
        )
        # At most two pools a call (two months meet in three days): a third row is another call.
        rows = cursor.fetchall()
    if len({row[0] for row in rows}) != 1:
        return None
    call_id, status, caller, callee, connected_at, created_at, member, department = rows[0][:8]
    call = Call(
        id=call_id,
        status=status,
        caller=caller,
        callee=callee,
        connected_at=connected_at,
        created_at=created_at,
        member=Member(id=member, department_id=department),
    )
    period_start = period_bounds(timezone.localdate(created_at))[0]
    for pool_id, start, rule, allotted, used, thresholds in (row[8:] for row in rows):
        if pool_id is not None and start == period_start:
            return call, MinutePool(
                id=pool_id,
                period_start=start,
                billing_rule=rule,
                minutes_allotted=allotted,
                billed_seconds_used=used,
                alert_thresholds=MinutePool._meta.get_field("alert_thresholds").from_db_value(
                    thresholds, None, connection
                ),
            )
    return call, None


def _event_insert(event: CallEvent) -> tuple[str, list[object]]:
    """The notification's row, kept as applied to the call the statement moved. (Should the
    statement move nothing, the general path closes the same event with its own outcome.)"""
    event.outcome = CallEvent.Outcome.APPLIED
    event.detail = ""
    return insert_for_each(event, source="moved", column="call_id")
