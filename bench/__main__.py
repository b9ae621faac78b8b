"""`make bench`: the portal measured side by side with references, in one run.

    BENCH_SCALE=10000000 python -m bench     # the full run (the default)
    BENCH_SCALE=20000 python -m bench        # a quick run, as CI does

Needs PostgreSQL and Redis on 127.0.0.1 (BENCH_DATABASE_URL, BENCH_LIVE_DATABASE_URL,
BENCH_REDIS_URL move them) and wrk (Debian's package). BENCH_SCALE is the number of calls of
history the reports are measured on; the live load follows from it (100,000 notifications at full
scale). Phases, each in bench/: live.py (gunicorn, a Celery worker and the sandbox; notification
intake against a reference endpoint, click-to-call latency, web worker memory), reports.py (usage
reports against a raw GROUP BY, the call history, the CSV export's memory) and recordings.py (a
58 MB and a 115 MB recording download against the naive way).

Writes the figures to bench/results.json (full run) or var/bench/results-<scale>.json (any other
scale), prints the table, and, after a full run, writes the table into bench/README.md and
README.md. Figures are printed against their targets, never asserted: this machine class is
shared and noisy.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
FULL_SCALE = 10_000_000
SCALE = int(os.environ.get("BENCH_SCALE", str(FULL_SCALE)))
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def requirements_missing() -> list[str]:
    from bench.live import LIVE_DATABASE_URL, REDIS_URL
    from bench.nginx import NGINX

    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk, the load generator: apt-get install wrk")
    if NGINX is None:
        missing.append("nginx, in front of the portal as deployed: apt-get install nginx")
    for name, url in (("PostgreSQL", LIVE_DATABASE_URL), ("Redis", REDIS_URL)):
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 0
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            missing.append(f"{name} listening on {host}:{port} ({url})")
    return missing


def machine() -> str:
    cores = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{platform.machine()}, {cores} cores, {memory:.0f} GiB, Python {python}"


def recordings(sizes: str) -> dict:
    """bench/recordings.py in its own processes: the growth of the whole download task (what a
    worker runs) and of the naive way, per size."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.recordings"],
        env={**os.environ, "BENCH_RECORDING_MB": sizes},
        capture_output=True,
        text=True,
        check=False,
    )
    print(output.stdout, end="", flush=True)
    figures = {}
    for row in json.loads(output.stdout.strip().splitlines()[-1]):
        way = {"task": "", "naive": "naive_"}.get(row["way"])
        if way is not None:
            figures[f"recording_{row['mb']:g}mb_{way}growth_mb"] = round(row["rss"], 1)
    return figures


def table(results: dict) -> list[tuple[str, str, str, str]]:
    """(what, the portal, the reference, the target and whether it is met) for each target."""
    notify, click = results["notify"], results["click_to_call"]
    rounds = notify["round_ratios"]
    reports, memory = results["reports"], results["memory"]
    upload = memory["upload_200mb"]

    def verdict(met: bool) -> str:
        return "met" if met else "**missed**"

    capacity = results["capacity"]
    half = capacity["click_at_half_capacity"]
    # Runs before 2026-12-07 18:04 UTC did not measure the whole machine.
    machine = capacity.get("machine_cpu_ms_per_call")
    whole_machine = f"; the whole machine, wrk and all, {machine} ms" if machine is not None else ""
    rows = [
        (
            "capacity: complete calls a second (click p95 ≤ 150 ms, notification p99 ≤ 100 ms, "
            "each call ended, debited once, recorded ≤ 5 s)",
            f"{capacity['calls_per_s']} /s (click p95 {capacity['click_p95_ms']} ms, "
            f"notification p99 {capacity['notify_p99_ms']} ms)",
            "",
            f"≥ 25 /s: {verdict(capacity['calls_per_s'] >= 25)}",
        ),
        (
            "CPU per complete call (nginx, web, workers, PostgreSQL, Redis; the sandbox apart)",
            f"{capacity['cpu_ms_per_call']:.1f} ms (sandbox {capacity['sandbox_cpu_ms_per_call']}"
            f" ms{whole_machine})",
            f"{capacity['reference_cpu_ms_per_call']:.1f} ms (6 validate-and-insert requests:"
            " web and PostgreSQL)",
            "",
        ),
        (
            "notification intake, throughput",
            f"{notify['throughput_rps']:,.0f} req/s",
            f"{notify['reference_rps']:,.0f} req/s",
            f"≥ 1.0 times the reference: {notify['ratio']:.2f} (its {len(rounds)} rounds"
            f" {min(rounds):.2f} to {max(rounds):.2f}), {verdict(notify['ratio'] >= 1.0)}",
        ),
        (
            "notification intake, p99",
            f"{notify['p99_ms']:.0f} ms",
            f"{notify['reference_p99_ms']:.0f} ms",
            f"≤ 50 ms: {verdict(notify['p99_ms'] <= 50)}",
        ),
        (
            "notifications lost / debited twice",
            f"{notify['lost']} / {notify['double_debits']}",
            "",
            f"0 / 0: {verdict(notify['lost'] == 0 and notify['double_debits'] == 0)}",
        ),
        (
            f"click-to-call at half the capacity ({half['rate']} calls a second), p50 / p95",
            f"{half['p50_ms']:.0f} / {half['p95_ms']:.0f} ms",
            "",
            f"≤ 50 / ≤ 150 ms: {verdict(half['p50_ms'] <= 50 and half['p95_ms'] <= 150)}",
        ),
        (
            "click-to-call to the operator, p50 / p95",
            f"{click['p50_ms']:.0f} / {click['p95_ms']:.0f} ms",
            "",
            f"≤ 50 / ≤ 150 ms: {verdict(click['p50_ms'] <= 50 and click['p95_ms'] <= 150)}",
        ),
    ]
    for key, label, reference in (
        ("month_by_member_ms", "a month by member", "reference_month_by_member_ms"),
        ("month_by_department_ms", "a month by department", "reference_month_by_department_ms"),
        ("year_by_month_ms", "a year by month", "reference_year_by_month_ms"),
    ):
        rows.append(
            (
                f"usage report, {label} ({reports['calls']:,} calls)",
                f"{reports[key]:.1f} ms",
                f"{reports[reference]:,.0f} ms",
                f"< 100 ms: {verdict(reports[key] < 100)}",
            )
        )
    for key, label in (("history_first_page_ms", "first"), ("history_deep_page_ms", "deep")):
        rows.append(
            (
                f"call history, {label} page",
                f"{reports[key]:.1f} ms",
                "",
                f"< 100 ms: {verdict(reports[key] < 100)}",
            )
        )
    loaded = results["reports_under_load"]
    for key, label in (
        ("month_by_member_p95_ms", "usage report, a month by member"),
        ("history_first_page_p95_ms", "call history, first page"),
    ):
        rows.append(
            (
                f"{label}, p95 of 20 while {loaded['calls_per_s']} complete calls a second flow",
                f"{loaded[key]:.1f} ms",
                f"{reports[key.replace('_p95', '')]:.1f} ms (idle, median)",
                f"< 150 ms: {verdict(loaded[key] < 150)}",
            )
        )
    recordings = [k for k in memory if k.startswith("recording_") and "naive" not in k]
    for key in sorted(recordings, key=lambda k: int(k.split("_")[1].removesuffix("mb"))):
        mb = key.split("_")[1].removesuffix("mb")
        rows.append(
            (
                f"recording download of {mb} MB, memory growth",
                f"{memory[key]:.1f} MB",
                f"{memory[key.replace('growth', 'naive_growth')]:.1f} MB (naive)",
                f"< 16 MB: {verdict(memory[key] < 16)}",
            )
        )
    rows += [
        (
            f"CSV export of a month ({memory['csv_month_rows']:,} rows), memory growth",
            f"{memory['csv_month_growth_mb']:+.1f} MB",
            "a day's export",
            f"flat (< 20 MB): {verdict(memory['csv_month_growth_mb'] < 20)}",
        ),
        (
            "a 200 MB upload to the contacts import (with its length / chunked), memory growth",
            f"{upload['web_worker_growth_mb']:+.1f} MB",
            f"refused {upload['with_length']['status']} in {upload['with_length']['answered_ms']}"
            f" ms / {upload['chunked']['status']} in {upload['chunked']['answered_ms']} ms",
            f"< 16 MB: {verdict(upload['web_worker_growth_mb'] < 16)}",
        ),
        (
            f"web worker over {memory['web_worker_notifications']:,} notifications (the"
            " portal's and the reference's)",
            f"{memory['web_worker_growth_mb']:+.1f} MB",
            "",
            f"flat (< 20 MB): {verdict(memory['web_worker_growth_mb'] < 20)}",
        ),
    ]
    return rows


def table_markdown(results: dict) -> str:
    lines = [
        f"Measured {results['measured_at']} on {results['machine']}, "
        f"BENCH_SCALE={results['scale']:,}.",
        "",
        "| what | portal | reference | target |",
        "|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in table(results)]
    return "\n".join(lines)


def main() -> int:
    missing = requirements_missing()
    if missing:
        print("make bench needs:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    full = SCALE >= FULL_SCALE
    notifications = 100_000 if full else max(2_000, SCALE // 10)
    from bench import live

    results: dict = {
        "machine": machine(),
        "scale": SCALE,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    # The reports first, on the history of SCALE calls (generated once, then kept), in a process
    # of their own (Django is set up once per process, and the live run sets it up for its own
    # database); then the live run, which measures them again under its load.
    output = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "bench.reports", str(SCALE)],
        # Its errors go straight to ours: a failed quick run in CI must say why.
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    print(output.stdout.rsplit("\n", 2)[0], flush=True)
    from_reports = json.loads(output.stdout.strip().splitlines()[-1])
    measured = live.run(
        notifications=notifications,
        click_seconds=30 if full else 5,
        reports_command=[sys.executable, "-m", "bench.reports", str(SCALE), "under-load"],
    )
    results["notify"] = measured["notify"]
    results["click_to_call"] = measured["click_to_call"]
    results["capacity"] = measured["capacity"]
    results["reports_under_load"] = measured["capacity"].pop("reports_under_load")
    results["reports"] = from_reports["reports"]
    results["memory"] = {
        **recordings("58,115" if full else "6,12"),
        "csv_month_growth_mb": from_reports["csv"]["csv_month_growth_mb"],
        "csv_month_rows": from_reports["csv"]["csv_month_rows"],
        "web_worker_growth_mb": measured["web_worker_growth_mb"],
        "web_worker_notifications": measured["web_worker_notifications"],
        "upload_200mb": measured["uploads"],
    }
    results["csv"] = from_reports["csv"]

    markdown = table_markdown(results)
    print("\n" + markdown)
    if full:
        path = BENCH_DIR / "results.json"
        for readme in (BENCH_DIR / "README.md", BENCH_DIR.parent / "README.md"):
            text = readme.read_text()
            before, _, rest = text.partition(README_START)
            _, _, after = rest.partition(README_END)
            readme.write_text(f"{before}{README_START}\n{markdown}\n{README_END}{after}")
    else:
        path = BENCH_DIR.parent / "var" / "bench" / f"results-{SCALE}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {path.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
