"""Years of call history in PostgreSQL: how fast the usage reports and the call history answer,
and the CSV export's memory.

The history is generated once per scale, inside PostgreSQL (bench/generate.py), and kept in its
own database for the next run. The usage API is measured against a plain GROUP BY over the raw
calls (the reference), the history page's first and a deep page (eleven months back) as an
administrator sees them, and the CSV export of a day against a month in separate processes.
All server times: median of in-process requests through the test client.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def database_url(calls: int) -> str:
    """The bench database of this scale; the full run's keeps its historical name."""
    default = "postgres://postgres@127.0.0.1:5432/clicktodial_bench"
    if calls != 10_000_000:
        default += f"_{calls}"
    return os.environ.get("BENCH_DATABASE_URL", default)


def database_ensure(url: str) -> None:
    """Create the bench database if it is missing (it is never the portal's own)."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, and mail kept in memory


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


def export_memory(url: str, date_from: date, date_to: date) -> dict:
    output = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.export_memory", date_from.isoformat(), date_to.isoformat()],
        stdout=subprocess.PIPE,  # its errors go to ours, to be read when it fails
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def last_month_and_year() -> tuple[tuple[date, date], tuple[date, date]]:
    """The spans the reports are asked for: last month's pool period, and the last twelve
    months to today."""
    from django.utils import timezone

    from members.pool.services import period_bounds

    today = timezone.localdate()
    month = period_bounds(today.replace(day=1) - timedelta(days=1))
    year = (today.replace(day=1, year=today.year - 1) + timedelta(days=31)).replace(day=1), today
    return month, year


def usage_request(client):
    """The usage API's report, grouped and over a span, as a callable request."""

    def api(group_by: str, span: tuple[date, date]):
        query = {"group_by": group_by, "from": span[0].isoformat(), "to": span[1].isoformat()}
        return lambda: client.get("/api/v1/usage/", query).json()

    return api


def history_request(client):
    """A page of the calls history, as a callable request."""

    def page(query: dict):
        def get() -> None:
            response = client.get("/calls/", query)
            if response.status_code != 200:
                raise RuntimeError(f"the history answered {response.status_code}")

        return get

    return page


def under_load(*, calls: int, requests: int = 20) -> dict:
    """The month's usage by member and the history's first page, `requests` of each in turn,
    timed while the live run's calls flow (bench/capacity.py's step under reports): p95.

    Says "ready" once set up and warmed, and starts at a line on its standard input, so that the
    harness puts its load on first."""
    django_setup(database_url(calls))
    from bench.live import percentile

    client = staff_client()
    month, _ = last_month_and_year()
    actions = {
        "month_by_member": usage_request(client)("member", month),
        "history_first_page": history_request(client)({}),
    }
    for action in actions.values():
        action()  # warm: connections made, code run once
    print("ready", flush=True)
    sys.stdin.readline()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(requests):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {f"{name}_p95_ms": round(percentile(times, 0.95), 1) for name, times in samples.items()}


def run(*, calls: int, members: int) -> dict:
    url = database_url(calls)
    database_ensure(url)
    django_setup(url)
    from django.core.management import call_command
    from django.utils import timezone

    from bench.generate import history_generate
    from calls.history import HistoryCursor
    from calls.models import Call

    call_command("migrate", verbosity=0)
    if Call.objects.count() != calls:
        started = time.perf_counter()
        history_generate(calls=calls, members=members, stdout=sys.stdout)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    print(f"{Call.objects.count():,} calls, {members:,} members, PostgreSQL", flush=True)

    month, year = last_month_and_year()
    client = staff_client()
    api, page = usage_request(client), history_request(client)

    # A deep page: the one after a call placed eleven months ago.
    deep_call = Call.objects.filter(created_at__lt=timezone.now() - timedelta(days=335)).first()
    deep = {"after": HistoryCursor.from_call(deep_call).token()} if deep_call else {}
    figures = {
        "calls": Call.objects.count(),
        "month_by_member_ms": timed(api("member", month)),
        "month_by_department_ms": timed(api("department", month)),
        "year_by_month_ms": timed(api("month", year)),
        "reference_month_by_member_ms": timed(raw_group_by("c.member_id", *month), runs=3),
        "reference_month_by_department_ms": timed(raw_group_by("m.department_id", *month), runs=3),
        "reference_year_by_month_ms": timed(
            raw_group_by("date_trunc('month', c.created_at)", *year), runs=3
        ),
        "history_first_page_ms": timed(page({})),
        "history_deep_page_ms": timed(page(deep)),
    }
    day = export_memory(url, month[0], month[0])
    whole = export_memory(url, *month)
    csv = {
        "csv_day_rows": day["rows"],
        "csv_month_rows": whole["rows"],
        "csv_month_mb": round(whole["bytes"] / 1e6, 1),
        "csv_month_seconds": round(whole["seconds"], 1),
        "csv_day_peak_rss_mb": round(day["peak_rss_mb"], 1),
        "csv_month_peak_rss_mb": round(whole["peak_rss_mb"], 1),
        "csv_month_growth_mb": round(whole["peak_rss_mb"] - day["peak_rss_mb"], 1),
    }
    return {"reports": {k: round(v, 1) for k, v in figures.items()}, "csv": csv}


if __name__ == "__main__":
    # python -m bench.reports CALLS: the figures as the last line, in JSON; with `under-load`,
    # the reports under the live run's load (see under_load).
    if sys.argv[2:] == ["under-load"]:
        print(json.dumps(under_load(calls=int(sys.argv[1]))))
    else:
        print(json.dumps(run(calls=int(sys.argv[1]), members=2000)))
