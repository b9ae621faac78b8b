"""Fill a PostgreSQL database with years of call history, inside PostgreSQL (generate_series).

The rows look like production's: ended calls with durations from 0 (never answered) to 15 min,
spread evenly over the last twelve months, across members in departments; one ledger entry per
call; the daily and monthly rollups computed from the ledger, as usage_record keeps them.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from calls.models import Call
from members.models import Department, Member, MinutePool
from members.pool.services import period_bounds

DEPARTMENTS = 20


def months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    return sorted(months)


def history_generate(*, calls: int, members: int, stdout) -> None:
    """Replace the database's calls and usage with `calls` generated ones."""
    months = months_back(timezone.localdate(), 12)
    start, end = months[0], period_bounds(months[-1])[1]
    tz = timezone.get_current_timezone_name()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE calls_callevent, members_usageentry, members_usagedaily, "
            "members_usagemonthly, members_poolalert, calls_call, members_minutepool CASCADE"
        )
        Member.objects.all().delete()
        Department.objects.all().delete()
        departments = Department.objects.bulk_create(
            Department(name=f"Department {i:02d}") for i in range(DEPARTMENTS)
        )
        Member.objects.bulk_create(
            Member(
                name=f"Member {i:05d}",
                phone_number=f"+86139{i:08d}",
                department=departments[i % DEPARTMENTS],
            )
            for i in range(members)
        )
        MinutePool.objects.bulk_create(
            MinutePool(
                period_start=month,
                period_end=period_bounds(month)[1],
                minutes_allotted=10_000_000,
                alert_thresholds=[],
            )
            for month in months
        )
        first_member = Member.objects.order_by("pk").values_list("pk", flat=True).first()
        stdout.write(f"generating {calls:,} calls from {start} to {end}…\n")
        # Spread over the period; durations 0..900 s with a fifth never answered.
        cursor.execute(
            f"""
            INSERT INTO {Call._meta.db_table} (
                member_id, sponsor, caller, callee, callee_name, status, reason, error_code,
                error_message, callidentifier, begin_attempts, created_at, updated_at, begun_at,
                connected_at, ended_at, duration_seconds, over_limit, limit_note,
                recording_result, recording_id, notes
            )
            SELECT
                %(first_member)s + (g * 7919) %% %(members)s,
                '+861052680000',
                '+86139' || lpad(((g * 7919) %% %(members)s)::text, 8, '0'),
                '+86138' || lpad((g %% 100000000)::text, 8, '0'),
                '', 'ended',
                CASE WHEN g %% 5 = 0 THEN 'CalleeNoAnswer' ELSE 'HangUp' END,
                '', '', 'B' || g, 1, at, at, at,
                CASE WHEN g %% 5 = 0 THEN NULL ELSE at END,
                at + make_interval(secs => dur),
                dur, false, '', '', '', ''
            FROM (
                SELECT g,
                    %(start)s::timestamptz
                        + make_interval(secs => %(span)s::float8 * (g - 1) / %(calls)s) AS at,
                    CASE WHEN g %% 5 = 0 THEN 0 ELSE (g * 104729) %% 900 + 1 END AS dur
                FROM generate_series(1::bigint, %(calls)s::bigint) AS g
            ) AS generated
            """,  # noqa: S608 - our own table names; the values are parameters
            {
                "first_member": first_member,
                "members": members,
                "calls": calls,
                "start": f"{start} 00:00 {tz}",
                "span": ((end - start).days + 1) * 86400,
            },
        )
        stdout.write("writing the ledger…\n")
        cursor.execute(
            """
            INSERT INTO members_usageentry (
                call_id, pool_id, member_id, department_id, day, seconds, billed_seconds,
                created_at, updated_at
            )
            SELECT c.id, p.id, c.member_id, m.department_id, d.day, c.duration_seconds,
                   CEIL(c.duration_seconds / 60.0)::int * 60, c.ended_at, c.ended_at
            FROM calls_call c
            JOIN members_member m ON m.id = c.member_id
            CROSS JOIN LATERAL (SELECT (c.created_at AT TIME ZONE %s)::date AS day) d
            JOIN members_minutepool p ON d.day BETWEEN p.period_start AND p.period_end
            """,
            [tz],
        )
        stdout.write("computing the rollups…\n")
        cursor.execute(
            """
            INSERT INTO members_usagedaily (
                day, member_id, department_key, calls, seconds, billed_seconds
            )
            SELECT day, member_id, COALESCE(department_id, 0), COUNT(*), SUM(seconds),
                   SUM(billed_seconds)
            FROM members_usageentry GROUP BY day, member_id, COALESCE(department_id, 0)
            """
        )
        cursor.execute(
            """
            INSERT INTO members_usagemonthly (
                month, member_id, department_key, calls, seconds, billed_seconds
            )
            SELECT date_trunc('month', day)::date, member_id, department_key, SUM(calls),
                   SUM(seconds), SUM(billed_seconds)
            FROM members_usagedaily GROUP BY 1, member_id, department_key
            """
        )
        cursor.execute(
            """
            UPDATE members_minutepool p SET billed_seconds_used = s.total
            FROM (SELECT pool_id, SUM(billed_seconds) AS total
                  FROM members_usageentry GROUP BY pool_id) s
            WHERE s.pool_id = p.id
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
