"""Where one notification's time goes (issue 20): `python -m bench.profile_notify [CALLS] [--sql]`.

In this process, on a PostgreSQL database of its own (`BENCH_PROFILE_DATABASE_URL`), through the
whole WSGI stack (middleware, DRF, the notification service), with the bodies and credentials
bench/wrk/notify.lua sends: each call's four notifications in order. Prints the SQL statements
each status costs (the round trips the issue counts) and cProfile's functions by their own time
and by their cumulative time, over every notification after a warm-up; with --sql, the
statements of the first call's four notifications as well.
"""

from __future__ import annotations

import base64
import cProfile
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime

PROFILE_DATABASE_URL = os.environ.get(
    "BENCH_PROFILE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clicktodial_bench_profile"
)
STATUSES = ("CallingCaller", "CallingCallee", "Connected", "Disconnected")
WARMUP_CALLS = 50


def setup() -> str:
    """Django on the profile database, recreated and migrated; the notification credentials."""
    from bench.live import NOTIFY_USERNAME, database_recreate

    password = secrets.token_urlsafe(16)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=PROFILE_DATABASE_URL,
        PORTAL_VAR_DIR=tempfile.mkdtemp(prefix="clicktodial-profile-"),
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="false",
        OPERATOR_NOTIFY_USERNAME=NOTIFY_USERNAME,
        OPERATOR_NOTIFY_PASSWORD=password,
    )
    database_recreate(PROFILE_DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return base64.b64encode(f"{NOTIFY_USERNAME}:{password}".encode()).decode()


def arguments(default: int) -> tuple[int, bool]:
    """The command line's count (`default` without one), and whether --sql was given."""
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    return (int(numbers[0]) if numbers else default), "--sql" in sys.argv


def profile_print(profiler: cProfile.Profile) -> None:
    """cProfile's functions by their own time, then by their cumulative time."""
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def _body(call: int, step: int, stamp: str) -> bytes:
    from bench.live import MEMBERS

    fields = {
        "caller": f"+86139{call % MEMBERS:08d}",
        "callee": f"+86138{call:08d}",
        "status": STATUSES[step],
    }
    if STATUSES[step] == "Disconnected":
        fields |= {"reason": "HangUp", "callDuration": 30 + call % 271}
        fields |= {"recordingResult": "NoRecord"}
    return json.dumps({**fields, "timeStamp": stamp}).encode()


def main() -> int:
    calls, show_sql = arguments(500)
    credentials = setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.live import NOTIFY_PREFIX, REFERENCE_PREFIX, data_prepare

    data_prepare(notify_calls=WARMUP_CALLS + calls, warmup_calls=0, click_calls=0)
    client = Client(HTTP_AUTHORIZATION=f"Basic {credentials}", HTTP_HOST="127.0.0.1")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def send(call: int, step: int) -> None:
        response = client.post(
            f"{NOTIFY_PREFIX}BENCH{call:010d}",
            _body(call, step, stamp),
            content_type="application/json",
        )
        if response.status_code != 200:
            raise RuntimeError(f"notification refused: {response.status_code} {response.content}")

    # The warm-up's calls also give the statements each status costs: counted apart, as the
    # counting (Django's debug cursor) would weigh on the profile.
    statements: dict[str, list[int]] = defaultdict(list)
    for call in range(WARMUP_CALLS):
        for step in range(4):
            with CaptureQueriesContext(connection) as queries:
                send(call, step)
            statements[STATUSES[step]].append(len(queries))
            if call == 0 and show_sql:
                print(f"-- {STATUSES[step]}")
                for query in queries:
                    print(f"   {query['sql']}")
    # Wall time per status, unprofiled, over the first half of the calls; the profile over the
    # second half.
    timings: dict[str, list[float]] = defaultdict(list)
    middle = WARMUP_CALLS + calls // 2
    for call in range(WARMUP_CALLS, middle):
        for step in range(4):
            started = time.perf_counter()
            send(call, step)
            timings[STATUSES[step]].append((time.perf_counter() - started) * 1000)
    # The reference (bench/reference.py) with the same bodies, in the same process.
    reference: dict[str, list[float]] = defaultdict(list)
    for call in range(WARMUP_CALLS, middle):
        for step in range(4):
            started = time.perf_counter()
            response = client.post(
                f"{REFERENCE_PREFIX}BENCH{call:010d}",
                _body(call, step, stamp),
                content_type="application/json",
            )
            reference[STATUSES[step]].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"the reference refused: {response.status_code}")
    profiler = cProfile.Profile()
    for call in range(middle, WARMUP_CALLS + calls):
        for step in range(4):
            profiler.enable()
            send(call, step)
            profiler.disable()
    print(f"{calls} calls, {4 * calls} notifications, PostgreSQL\n")
    print("SQL statements and wall time (median, unprofiled) per notification; the reference's:")
    for status, counts in statements.items():
        median = statistics.median(timings[status])
        theirs = statistics.median(reference[status])
        print(f"  {status:14} {sum(counts) / len(counts):4.1f}  {median:5.2f} ms  {theirs:5.2f} ms")
    profiled = 4 * (WARMUP_CALLS + calls - middle)
    total = pstats.Stats(profiler).total_tt
    print(f"\n{total * 1000 / profiled:.2f} ms per notification, profiled\n")
    profile_print(profiler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
