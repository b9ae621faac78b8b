"""`make bench`: years of call history in PostgreSQL, and how fast reports and exports answer.

    BENCH_CALLS=10000000 BENCH_MEMBERS=2000 python -m bench

Generates the history once (it is kept in the bench database for the next run), then measures,
in this one run, the usage API against a plain GROUP BY over the raw calls (the reference), and
the CSV export's peak memory for a day against a month of calls (a separate process for each, so
each reading is that export's own). Targets: reports under 100 ms server time; export memory that
does not grow with the rows.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clicktodial_bench"
)
CALLS = int(os.environ.get("BENCH_CALLS", "10000000"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "2000"))
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TARGET_MS = 100


def django_setup() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, and mail kept in memory


def database_ensure() -> None:
    """Create the bench database if it is missing (it is never the portal's own)."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(BENCH_DATABASE_URL).path.lstrip("/")
    server = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def timed(action, runs: int = RUNS) -> float:
    """Median wall time of `action` in milliseconds, after two warm-up runs."""
    for _ in range(2):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def staff_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True}
    )
    client = Client()
    client.force_login(user)
    return client


def raw_group_by(column_sql: str, date_from: date, date_to: date):
    """The reference: the same report as a plain GROUP BY over the raw calls."""
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT {column_sql}, COUNT(*), SUM(duration_seconds),
                       SUM(CEIL(duration_seconds / 60.0) * 60)
                FROM calls_call c JOIN members_member m ON m.id = c.member_id
                WHERE c.created_at >= %s AND c.created_at < %s
                GROUP BY 1
                """,  # noqa: S608 - fixed expressions of this file
                [date_from, date_to + timedelta(days=1)],
            )
            cursor.fetchall()

    return run


def export_memory(date_from: date, date_to: date) -> dict:
    output = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.export_memory", date_from.isoformat(), date_to.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": BENCH_DATABASE_URL},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> int:
    database_ensure()
    django_setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bench.generate import history_generate
    from calls.models import Call
    from members.services import period_bounds

    call_command("migrate", verbosity=0)
    if Call.objects.count() != CALLS:
        started = time.perf_counter()
        history_generate(calls=CALLS, members=MEMBERS, stdout=sys.stdout)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    print(f"{Call.objects.count():,} calls, {MEMBERS:,} members, PostgreSQL")

    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = period_bounds(last_month_end)
    year = (today.replace(day=1, year=today.year - 1) + timedelta(days=31)).replace(day=1), today
    client = staff_client()

    def api(group_by: str, span: tuple[date, date]):
        query = {"group_by": group_by, "from": span[0].isoformat(), "to": span[1].isoformat()}
        return lambda: client.get("/api/v1/usage/", query).json()

    measurements = [
        ("month by member", api("member", month), raw_group_by("c.member_id", *month)),
        ("month by department", api("department", month), raw_group_by("m.department_id", *month)),
        (
            "year by month",
            api("month", year),
            raw_group_by("date_trunc('month', c.created_at)", *year),
        ),
    ]
    failures = 0
    print(f"\n{'report':<22}{'portal ms':>11}{'raw GROUP BY ms':>17}{'ratio':>8}  target")
    for name, portal, reference in measurements:
        portal_ms, reference_ms = timed(portal), timed(reference, runs=3)
        met = portal_ms < TARGET_MS
        failures += not met
        print(
            f"{name:<22}{portal_ms:>11.1f}{reference_ms:>17.1f}{reference_ms / portal_ms:>7.0f}x"
            f"  {'met' if met else 'MISSED'} (< {TARGET_MS} ms)"
        )

    day = export_memory(month[0], month[0])
    whole = export_memory(*month)
    growth = whole["peak_rss_mb"] - day["peak_rss_mb"]
    print(f"\n{'CSV export of calls':<22}{'rows':>10}{'MB':>8}{'peak RSS MB':>13}{'s':>7}")
    for label, reading in (("one day", day), ("one month", whole)):
        print(
            f"{label:<22}{reading['rows']:>10,}{reading['bytes'] / 1e6:>8.1f}"
            f"{reading['peak_rss_mb']:>13.1f}{reading['seconds']:>7.1f}"
        )
    flat = growth < 20
    failures += not flat
    print(
        f"memory growth from a day to a month: {growth:+.1f} MB "
        f"({'met' if flat else 'MISSED'}: under 20 MB, i.e. not growing with the rows)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
