"""Capacity (issue 20): the most complete calls a second the stack carries while every click still
feels instant, and what one complete call costs in CPU.

A complete call is what a user's click sets going: `POST /api/v1/calls/` by an employee, the
worker's begin to the sandbox operator, the operator's four notifications (one in ten sent twice,
as an operator that missed an answer), the debit, and the recording downloaded and stored. The
rate steps through RATES, each held for a step's seconds (30 in the full run, 5 in a quick one),
after an unmeasured warm-up; a step is met when the clicks' p95 (from the POST leaving wrk to the
operator receiving the begin) is at most CLICK_P95_MS, the notifications' p99 (from the operator
sending one to the portal's answer) at most NOTIFY_P99_MS, and every call of the step ended,
debited once and its recording stored within RECORDED_WITHIN_S of its end. The stepping stops at
the first step missed; the capacity is the highest rate met. Then one more step at half that
rate gives click-to-call as a user feels it on an ordinary busy day (p50 and p95).

CPU is read from /proc over each step (bench/live.py's cpu_sample), from its first click until its
last call is settled: the portal's processes, PostgreSQL and Redis, divided by the step's calls.
The sandbox operator runs in the harness's own process, on the same cores: its share (with the
harness's polling) is reported apart and is not in the portal's figure. A process that ended
within the step is in no program's figure (its seconds left /proc with it): the machine's whole
busy time per call is reported beside them, which counts it (and the sandbox, wrk, and
anything else the machine runs meanwhile: run the benchmark on an otherwise idle machine).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import timedelta

from bench.live import click_latencies, cpu_sample, percentile, programs_since, wrk
from sandbox.config import NOTIFY_PATH

RATES = (5, 10, 15, 20, 30, 40)
CLICK_P95_MS = 150
NOTIFY_P99_MS = 100
RECORDED_WITHIN_S = 5
# The sandbox's clock for these calls: a normal call rings, connects at 0.5 s and ends at 2.5 s.
TIME_SCALE = 0.1
DUPLICATE_EVERY = 10
# How long after a step's last click its calls may take to settle before the step is missed.
SETTLE_TIMEOUT_S = 30
WARMUP = (5, 4)  # calls a second, seconds: unmeasured
PORTAL_PROGRAMS = (
    "nginx",
    "web (gunicorn)",
    "worker (calls)",
    "worker (recordings)",
    "PostgreSQL",
    "Redis",
)
HARNESS = "bench and sandbox operator"
REPORTS_STEP_MIN_S = 10


def calls_needed(step_seconds: int) -> int:
    """Clicks (each by an employee of its own) that the warm-up, every step, the run at half
    the capacity and the one under the reports may make."""
    steps = (sum(RATES) + max(RATES) // 2) * step_seconds
    return WARMUP[0] * WARMUP[1] + steps + max(RATES) * _reports_step_seconds(step_seconds)


def _reports_step_seconds(step_seconds: int) -> int:
    # Long enough for the reports' 40 requests to be made under the load, in a quick run too.
    return max(step_seconds, REPORTS_STEP_MIN_S)


def _step_calls(first: int, count: int):
    from calls.models import Call

    return Call.objects.filter(
        callee__gte=f"+86137{first:08d}", callee__lt=f"+86137{first + count:08d}"
    )


def _settled(first: int, count: int) -> dict[str, int]:
    """How many of the step's calls have ended, been debited, and have their recording stored."""
    from django.db.models import F

    from calls.models import Call
    from members.models import UsageEntry
    from recordings.models import Recording

    calls = _step_calls(first, count)
    recordings = Recording.objects.filter(call__in=calls, status=Recording.Status.READY)
    return {
        "ended": calls.filter(status=Call.Status.ENDED).count(),
        "debits": UsageEntry.objects.filter(call__in=calls).count(),
        "recorded": recordings.count(),
        "recorded_in_time": recordings.filter(
            downloaded_at__lte=F("call__ended_at") + timedelta(seconds=RECORDED_WITHIN_S)
        ).count(),
    }


def _notify_p99(operator, first: int, count: int) -> float | None:
    identifiers = set(
        _step_calls(first, count)
        .exclude(callidentifier=None)
        .values_list("callidentifier", flat=True)
    )
    elapsed = [
        sent.elapsed_ms
        for sent in list(operator.notifications)
        if sent.callidentifier in identifiers and sent.elapsed_ms is not None
    ]
    return round(percentile(elapsed, 0.99), 1) if elapsed else None


def step_run(url: str, operator, *, rate: int, seconds: int, first: int) -> dict:
    """`rate` clicks a second for `seconds`, by employees `first`…; then until the calls settle."""
    count = rate * seconds
    before = cpu_sample()
    started = time.monotonic()
    click = wrk("click.lua", url, count, rate, first, threads=1, connections=64)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while (settled := _settled(first, count))["recorded"] < count and time.monotonic() < deadline:
        time.sleep(0.5)
    wall = time.monotonic() - started
    after = cpu_sample()
    programs = programs_since(before, after)
    portal_s = sum(programs[name] for name in PORTAL_PROGRAMS)
    latencies = click_latencies(click["sends"], operator)["total"]
    step = {
        "rate": rate,
        "calls": count,
        "sent": len(click["sends"]),
        **settled,
        "click_p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "click_p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "notify_p99_ms": _notify_p99(operator, first, count),
        "cpu_ms_per_call": round(portal_s * 1000 / count, 1),
        "cpu_ms_per_call_by_program": {
            name: round(programs[name] * 1000 / count, 1) for name in PORTAL_PROGRAMS
        },
        "sandbox_cpu_ms_per_call": round(programs[HARNESS] * 1000 / count, 1),
        # Every core's busy time, whoever spent it: a process that ended within the step (a
        # database backend of a connection opened and closed meanwhile) is in no program's
        # figure above, but is here.
        "machine_cpu_ms_per_call": round(
            (after.machine["busy"] - before.machine["busy"]) * 1000 / count, 1
        ),
        "settle_s": round(wall - seconds, 1),
    }
    every_call_complete = set(settled.values()) == {count}
    step["met"] = bool(
        every_call_complete
        and step["sent"] == len(latencies) == count
        and step["click_p95_ms"] <= CLICK_P95_MS
        and (step["notify_p99_ms"] or float("inf")) <= NOTIFY_P99_MS
    )
    return step


def _calls_in_progress_wait(timeout: float = 60) -> None:
    """Until the calls placed before (the click phase's, 25 s long) have ended."""
    from calls.models import Call

    deadline = time.monotonic() + timeout
    while (live := Call.objects.filter(status__in=Call.LIVE_STATUSES).count()) > 0:
        if time.monotonic() > deadline:
            # Measured all the same: their notifications, if any still come, are a little load.
            print(f"  {live} calls placed before the capacity run are still live", flush=True)
            return
        time.sleep(0.5)


def reports_step(url: str, operator, *, rate: int, seconds: int, first: int, command: list[str]):
    """A step at `rate` with the reports measured meanwhile by `command` (`python -m
    bench.reports CALLS under-load`, on the 10 M-call database): its figures, and the step's."""
    reports = subprocess.Popen(  # noqa: S603 - our own module
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    while (line := reports.stdout.readline()) and line.strip() != "ready":
        pass  # set up and warmed: the load goes on first
    step: dict = {}
    load = threading.Thread(
        target=lambda: step.update(step_run(url, operator, rate=rate, seconds=seconds, first=first))
    )
    load.start()
    time.sleep(2)  # the calls in full flow
    reports.stdin.write("go\n")
    reports.stdin.flush()
    output, _ = reports.communicate()
    load.join()
    if reports.returncode != 0:
        raise RuntimeError(f"bench.reports under-load failed ({reports.returncode})")
    return json.loads(output.strip().splitlines()[-1]), step


def run(
    url: str, operator, *, step_seconds: int, first: int, reports_command: list[str] | None = None
) -> dict:
    """The warm-up, then RATES in turn until one is missed; the capacity and each step; then a
    step at half the capacity, and (with `reports_command`) one at the capacity with the
    reports measured under it.

    `url` is the portal behind nginx: the operator's notifications go there too, as in
    production. (Straight to gunicorn, wrk's connections opened ahead of their first request
    held its threads: gunicorn's gthread worker waits up to 5 s for a new connection's request
    in a thread, which stalled the operator's notifications for seconds; nginx opens a
    connection upstream only with a request to send.)"""
    _calls_in_progress_wait()
    operator.config.time_scale = TIME_SCALE
    operator.config.duplicate_every = DUPLICATE_EVERY
    operator.config.notify_url = url + NOTIFY_PATH
    step_run(url, operator, rate=WARMUP[0], seconds=WARMUP[1], first=first)
    first += WARMUP[0] * WARMUP[1]
    steps = []
    for rate in RATES:
        step = step_run(url, operator, rate=rate, seconds=step_seconds, first=first)
        first += step["calls"]
        steps.append(step)
        print(f"  capacity step: {step}", flush=True)
        if not step["met"]:
            break
    met = [step for step in steps if step["met"]]
    top = met[-1] if met else steps[0]
    # What a click feels like on a day at half the peak the machine carries.
    half_rate = max(1, top["rate"] // 2) if met else 1
    half = step_run(url, operator, rate=half_rate, seconds=step_seconds, first=first)
    first += half["calls"]
    print(f"  at half the capacity: {half}", flush=True)
    under_load = {}
    if reports_command:
        under_load, step = reports_step(
            url,
            operator,
            rate=top["rate"],
            seconds=_reports_step_seconds(step_seconds),
            first=first,
            command=reports_command,
        )
        under_load["calls_per_s"] = step["rate"]
        print(f"  reports under load: {under_load}; the step: {step}", flush=True)
    return {
        "calls_per_s": top["rate"] if met else 0,
        "click_at_half_capacity": {
            "rate": half["rate"],
            "p50_ms": half["click_p50_ms"],
            "p95_ms": half["click_p95_ms"],
        },
        "cpu_ms_per_call": top["cpu_ms_per_call"],
        "cpu_ms_per_call_by_program": top["cpu_ms_per_call_by_program"],
        "sandbox_cpu_ms_per_call": top["sandbox_cpu_ms_per_call"],
        "machine_cpu_ms_per_call": top["machine_cpu_ms_per_call"],
        "click_p95_ms": top["click_p95_ms"],
        "notify_p99_ms": top["notify_p99_ms"],
        "step_seconds": step_seconds,
        "steps": steps,
        "reports_under_load": under_load,
    }
