"""Where a click's time goes (issue 20): `python -m bench.profile_click [CLICKS] [--sql]`.

In this process, on the profile database (bench.profile_notify's, recreated), through the whole
WSGI stack: each of CLICKS employees (bench.live's, each with an API token) posts
`POST /api/v1/calls/` once, as click.lua does. The begin tasks go to a Redis database of their
own (BENCH_PROFILE_BROKER_URL), emptied afterwards; no worker takes them. Prints the click's SQL
statements, its median wall time (unprofiled, over the first half of the clicks) and cProfile's
top functions over the second half; with --sql, the first click's statements.
"""

from __future__ import annotations

import cProfile
import os
import statistics
import sys
import time

BROKER_URL = os.environ.get("BENCH_PROFILE_BROKER_URL", "redis://127.0.0.1:6379/14")
CACHE_URL = os.environ.get("BENCH_PROFILE_CACHE_URL", "redis://127.0.0.1:6379/13")


def main() -> int:
    from bench.profile_notify import arguments, profile_print, setup

    clicks, show_sql = arguments(400)
    # As production has them: the begin task goes to a broker, the rate limit to a shared cache.
    os.environ.update(CELERY_BROKER_URL=BROKER_URL, CACHE_URL=CACHE_URL)

    setup()
    import redis
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.live import data_prepare

    data_prepare(notify_calls=0, warmup_calls=0, click_calls=clicks + 1)

    def click(n: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Token benchclicker{n:028d}", HTTP_HOST="127.0.0.1")
        response = client.post(
            "/api/v1/calls/", f'{{"callee": "+86137{n:08d}"}}', content_type="application/json"
        )
        if response.status_code != 202:
            raise RuntimeError(f"the click was refused: {response.status_code}")

    try:
        with CaptureQueriesContext(connection) as queries:
            click(clicks)  # the first one, apart: warms the code, and its statements are shown
        # Read now: the next request empties the connection's query log (request_started).
        statements = [query["sql"] for query in queries]
        timings = []
        for n in range(clicks // 2):
            started = time.perf_counter()
            click(n)
            timings.append((time.perf_counter() - started) * 1000)
        profiler = cProfile.Profile()
        for n in range(clicks // 2, clicks):
            profiler.enable()
            click(n)
            profiler.disable()
    finally:
        redis.Redis.from_url(BROKER_URL).flushdb()
    print(f"{clicks} clicks, PostgreSQL\n")
    print(f"{len(statements)} SQL statements a click; {statistics.median(timings):.2f} ms (median)")
    if show_sql:
        for sql in statements:
            print(f"   {sql[:200]}")
    profile_print(profiler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
