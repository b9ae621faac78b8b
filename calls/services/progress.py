"""A call's progress told by the operator, applied in one PostgreSQL statement (issue 20).

Most notifications are the plain case: a live call, the only one with its identifier, is told it
rings the caller, rings the callee, or is connected, one step further than it is. The general path
(calls.services.notifications and calls.lifecycle) takes five round trips for that: BEGIN, the
call locked, moved, the event inserted, COMMIT, each statement compiled by the ORM. Here the same
writes are one statement, which PostgreSQL runs as one transaction: it locks the call, moves it
and keeps the event, or, when the call is anything but that plain case, changes nothing at all.

It is a shortcut, not a second set of rules: it applies only where `lifecycle.notification_apply`
would give `applied` with the same writes (the same columns, the event the same row), and says
so by returning the call's id; otherwise it returns None and the caller takes the general path,
which decides everything else (duplicates, late news, a reused identifier, an `unknown` call, the
end's debit). SQLite has no data-modifying CTE with FOR UPDATE, so it always takes the general
path; the tests run the same cases on both databases.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from calls.lifecycle import NOTIFIED_STATUS, RANK, status_changed
from calls.models import Call, CallEvent
from clicktodial_portal.logs import call_logging
from operator_api import StatusNotification

Status = Call.Status

# The statuses that a notification moves a live call to without ending it.
_PROGRESS = {status for status in NOTIFIED_STATUS.values() if status in Call.LIVE_STATUSES}


def progress_applied(
    *, callidentifier: str, notification: StatusNotification, event: CallEvent
) -> int | None:
    """Apply a progress notification in one statement, when the plain case holds: the id of the
    call it moved, with `event` (the notification as received, not saved yet) kept as applied;
    else None, with nothing written."""
    target = NOTIFIED_STATUS[notification.status]
    if connection.vendor != "postgresql" or target not in _PROGRESS:
        return None
    # From what a live call may move to `target` (an `unknown` call is not live: general path).
    movable = sorted(s for s in Call.LIVE_STATUSES if RANK[s] < RANK[target])
    now = timezone.now()
    connects = target == Status.CONNECTED
    call_table, event_table = Call._meta.db_table, CallEvent._meta.db_table
    # The conditions are on the row being updated, so that a concurrent notification's commit,
    # which the lock waited for, is what they are checked against (READ COMMITTED re-reads it).
    statement = f"""
        WITH candidates AS (
            SELECT id FROM {call_table} WHERE callidentifier = %(identifier)s FOR UPDATE
        ), moved AS (
            UPDATE {call_table} SET status = %(target)s, error_code = '', error_message = '',
                {"connected_at = %(at)s," if connects else ""} updated_at = %(now)s
            WHERE id IN (SELECT id FROM candidates)
              AND (SELECT count(*) FROM candidates) = 1
              AND status = ANY(%(movable)s)
              AND caller = %(caller)s AND callee = %(callee)s
            RETURNING id, reason
        ), kept AS (
            INSERT INTO {event_table} (call_id, callidentifier, received_at, remote_addr, body,
                status, reason, operator_timestamp, event_source, event_id, outcome, detail,
                created_at, updated_at)
            SELECT id, %(event_identifier)s, %(now)s, %(remote_addr)s::inet, %(body)s,
                %(notified)s, %(event_reason)s, %(at)s, '', '', %(applied)s, '', %(now)s, %(now)s
            FROM moved
        )
        SELECT id, reason FROM moved
    """  # noqa: S608 - our own models' tables; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            {
                "identifier": callidentifier,
                "target": target,
                "movable": movable,
                "caller": notification.caller,
                "callee": notification.callee,
                "at": event.operator_timestamp,
                "now": now,
                "event_identifier": event.callidentifier,
                "remote_addr": event.remote_addr,
                "body": event.body,
                "notified": event.status,
                "event_reason": event.reason,
                "applied": CallEvent.Outcome.APPLIED,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    call_id, reason = row
    with call_logging(call_id=call_id):
        status_changed(call_id=call_id, status=target, reason=reason)
    return call_id
