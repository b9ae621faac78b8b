"""The portal running as in production, under load: notification intake and click-to-call latency.

Starts, on a fresh PostgreSQL database (BENCH_LIVE_DATABASE_URL) and Redis (BENCH_REDIS_URL):
the Procfile's web (gunicorn) and worker (Celery) commands, with bench.settings (the portal plus
the reference endpoint), and the sandbox operator in this process. Then, with wrk from Debian as
the load generator:

1. Notification intake. The same lifecycles (4 notifications a call, 10 % sent twice, 16
   connections) go to the reference endpoint (bench/reference.py: validate, insert one row) and
   to the portal's real endpoint (authentication, validation, event kept, state moved, debit).
   Afterwards the database is checked: every acknowledged notification kept, every call ended
   and debited once, the pool and the rollups equal to the ledger.
2. The web workers' resident memory before and after the portal's run.
3. Click-to-call: POST /api/v1/calls/ at a steady 20 calls/s (wrk's delay(), one employee per
   call); the latency is from the moment wrk sends the POST (its clock) to the moment the sandbox
   receives the operator's clicktodialbegin (same machine, same clock).

During each run, where the machine's CPU went (/proc): how busy its cores were, and each
program's share (web, workers, PostgreSQL, Redis, wrk, this process with the sandbox operator).
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import resource
import secrets
import signal
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench.nginx import nginx_running
from bench.uploads import upload_measure
from clicktodial_portal.procfile import procfile_commands

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
LIVE_DATABASE_URL = os.environ.get(
    "BENCH_LIVE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clicktodial_bench_live"
)
# Two Redis databases of their own (broker, cache), emptied before the run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_BROKER_DB, REDIS_CACHE_DB = 14, 15
CONNECTIONS = 16
MEMBERS = 200
NOTIFY_USERNAME = "bench-operator"
CLICK_RATE = 20  # calls a second
CLICK_WARMUP = 2 * CLICK_RATE  # clicks before those measured
NOTIFY_PREFIX = "/clicktodial/v1/clicktodialstatusnotify/"
REFERENCE_PREFIX = "/bench/reference/"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_recreate(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def redis_flush() -> None:
    import redis

    for db in (REDIS_BROKER_DB, REDIS_CACHE_DB):
        redis.Redis.from_url(f"{REDIS_URL}/{db}").flushdb()


def calls_for(notifications: int, *, rounds: int = 1) -> int:
    """Calls whose lifecycles make about `notifications` notifications (4.4 a call), rounded up
    to whole threads' shares in each of `rounds`."""
    return math.ceil(notifications / 4.4 / CONNECTIONS / rounds) * CONNECTIONS * rounds


def expected_deliveries(first: int, count: int) -> dict[tuple[str, str], int]:
    """How many times wrk's notify.lua sends each (callidentifier, status): its 10 % rule."""
    statuses = ("CallingCaller", "CallingCallee", "Connected", "Disconnected")
    expected = {}
    for call in range(first, first + count):
        for step, status in enumerate(statuses, start=1):
            expected[(f"BENCH{call:010d}", status)] = 2 if (call * 4 + step) % 10 == 0 else 1
    return expected


@dataclass
class Stack:
    """The processes under test, and what they need to know."""

    port: int
    env: dict[str, str]
    processes: list[subprocess.Popen]
    log_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def web_worker_pids(self) -> list[int]:
        master = self.processes[0].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def environment(
    port: int, sandbox_origin: str, var_dir: Path, notify_password: str
) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # deploy/gunicorn.conf.py's defaults, said here so that the harness knows them; no access
        # log, which would be written to our log file and is not what is measured.
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "",
        "DATABASE_URL": LIVE_DATABASE_URL,
        "CELERY_BROKER_URL": f"{REDIS_URL}/{REDIS_BROKER_DB}",
        "CACHE_URL": f"{REDIS_URL}/{REDIS_CACHE_DB}",
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "OPERATOR_API_BASE_URL": f"{sandbox_origin}/clicktodial/v1",
        "OPERATOR_TOKEN_URL": f"{sandbox_origin}/oauth2/token",
        "OPERATOR_NOTIFY_USERNAME": NOTIFY_USERNAME,
        "OPERATOR_NOTIFY_PASSWORD": notify_password,
    }


def stack_start(env: dict[str, str], port: int, log_dir: Path) -> Stack:
    # The Procfile's web and workers, as production runs them (not its sandbox: ours runs here).
    procfile = {
        name: [str(ROOT / words[0]), *words[1:]] for name, words in procfile_commands().items()
    }
    names = ("web", "worker", "recordings")
    workers = int(env["WEB_CONCURRENCY"])
    processes = []
    for name in names:
        log = (log_dir / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen(  # noqa: S603 - the Procfile's own commands
                procfile[name], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
    stack = Stack(port, env, processes, log_dir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(stack.url + "/api/v1/calls/", timeout=2).status_code == 401:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        stack.stop()
        raise RuntimeError(f"gunicorn did not answer; see {log_dir}")
    while len(stack.web_worker_pids()) < workers:
        time.sleep(0.1)
    return stack


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _program(pid: int, name: str, cmdline: bytes) -> str:
    """Which part of the stack a process is, from its name and command line."""
    servers = {"postgres": "PostgreSQL", "redis-server": "Redis", "wrk": "wrk", "nginx": "nginx"}
    if pid == os.getpid():
        return "bench and sandbox operator"
    if name in servers:
        return servers[name]
    words = cmdline.split(b"\0")
    if any(word.endswith(b"gunicorn") for word in words[:2]):
        return "web (gunicorn)"
    if b"celery" in cmdline:
        return "worker (recordings)" if b"recordings" in words else "worker (calls)"
    return "other"


@dataclass(frozen=True)
class CpuSample:
    """Seconds so far: the machine's cores busy, waiting for the disk, and taken by the host
    (steal: a shared machine's other guests); each process's CPU (user + system) with its
    program; and this process's ended children's (wrk)."""

    machine: Counter
    processes: dict[int, tuple[str, float]]
    children: float


def cpu_sample() -> CpuSample:
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, iowait, irq, softirq, steal = (int(v) for v in first[:8])
    machine = Counter(
        busy=(user + nice + system + irq + softirq) / CLOCK_TICKS,
        iowait=iowait / CLOCK_TICKS,
        steal=steal / CLOCK_TICKS,
    )
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split(" (", 1)[1].rsplit(") ", 1)
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        state = fields.split()  # state, ppid, …: utime and stime are the 12th and 13th
        seconds = (int(state[11]) + int(state[12])) / CLOCK_TICKS
        pid = int(stat.parent.name)
        processes[pid] = (_program(pid, name, cmdline), seconds)
    # A wrk run starts after one sample and has ended before the next: it is in neither, but in
    # this process's ended children.
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSample(machine, processes, ended.ru_utime + ended.ru_stime)


def programs_since(before: CpuSample, after: CpuSample | None = None) -> Counter:
    """Each program's CPU seconds between two samples, process by process: one that lived
    through counts its difference, one started meanwhile (a database backend for a new
    connection) all of its seconds. One that ended meanwhile is missing from the later sample
    and counts nothing: subtracting program totals instead made a program whose processes ended
    look idle (PostgreSQL at 0 after the click phase's backends closed)."""
    after = after or cpu_sample()
    used: Counter = Counter()
    for pid, (program, seconds) in after.processes.items():
        then = before.processes.get(pid)
        used[program] += seconds - then[1] if then and then[0] == program else seconds
    used["wrk"] += after.children - before.children
    return used


def cpu_use(before: CpuSample, seconds: float) -> dict:
    """Percent of the machine's cores, over `seconds` since `before`: busy, waiting for the
    disk, stolen by the host, and used by each program."""
    return cpu_use_over([(before, cpu_sample(), seconds)])


def cpu_use_over(intervals: list[tuple[CpuSample, CpuSample, float]]) -> dict:
    """cpu_use over several intervals (each its samples before and after, and its seconds)."""
    capacity = sum(seconds for _, _, seconds in intervals) * (os.cpu_count() or 1) / 100
    used: Counter = Counter()
    spent: Counter = Counter()
    for before, after, _ in intervals:
        used.update(programs_since(before, after))
        spent.update({name: after.machine[name] - before.machine[name] for name in after.machine})
    return {
        **{f"{name}_pct": round(seconds / capacity, 1) for name, seconds in spent.items()},
        "by_program_pct": {
            name: round(seconds / capacity, 1)
            for name, seconds in used.most_common()
            if seconds / capacity >= 0.5
        },
    }


def wrk(script: str, url: str, *args: object, threads: int, connections: int) -> dict:
    """Run one of bench/wrk's scripts until each of its threads has said it is done."""
    with tempfile.TemporaryDirectory() as scratch:
        done_file = Path(scratch) / "done"
        done_file.touch()
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            "-d3600s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_DIR / script),
            url,
            "--",
            *[str(arg) for arg in args],
            str(done_file),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        # wrk waits for its duration even when every thread has stopped; a SIGINT ends it.
        while len(done_file.read_text().splitlines()) < threads and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=60)
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk printed no figures:\n{stdout}")


def data_prepare(*, notify_calls: int, warmup_calls: int, click_calls: int) -> None:
    """Members, a pool, the calls the notifications are about (already dialling, as after the
    operator's begin answer), and the employees who click, each with an API token."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from calls.models import Call
    from members.models import Department, Member, MinutePool
    from members.pool.services import period_bounds

    today = timezone.localdate()
    start, end = period_bounds(today)
    MinutePool.objects.create(
        period_start=start,
        period_end=end,
        minutes_allotted=100_000_000,
        when_exhausted=MinutePool.WhenExhausted.ALLOW_AND_FLAG,
        # As production's: each debit checks them.
        alert_thresholds=settings.POOL_ALERT_THRESHOLDS,
    )
    department = Department.objects.create(name="Bench")
    members = Member.objects.bulk_create(
        Member(name=f"Member {i:05d}", phone_number=f"+86139{i:08d}", department=department)
        for i in range(MEMBERS)
    )
    total = notify_calls + warmup_calls
    batch = []
    for index in range(total):
        batch.append(
            Call(
                member=members[index % MEMBERS],
                caller=f"+86139{index % MEMBERS:08d}",
                callee=f"+86138{index:08d}",
                callidentifier=f"BENCH{index:010d}",
                status=Call.Status.DIALING,
            )
        )
        if len(batch) == 5000:
            Call.objects.bulk_create(batch)
            batch = []
    Call.objects.bulk_create(batch)

    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"clicker{i:05d}", password=UNUSABLE_PASSWORD_PREFIX)
        for i in range(click_calls)
    )
    Member.objects.bulk_create(
        Member(
            name=f"Clicker {i:05d}",
            phone_number=f"+86136{i:08d}",
            department=department,
            user=user,
        )
        for i, user in enumerate(users)
    )
    Token.objects.bulk_create(
        Token(key=f"benchclicker{i:028d}", user=user) for i, user in enumerate(users)
    )


# The notification intake alternates the reference's runs and the portal's, this many of each:
# on this shared machine a run's throughput drifts by a fifth from one minute to the next (the
# reference's, measured once each in three runs: 465, 533 and 603 requests a second), so one run
# of each, one after the other, could tell the drift rather than the difference.
INTAKE_ROUNDS = 4


def intake_rounds(url: str, notify_calls: int, auth: str) -> dict:
    """The reference's and the portal's notification runs, INTAKE_ROUNDS of each, in the order
    R P P R R P P R (so that what one side leaves behind, autovacuum or a checkpoint, and a
    steady drift fall on both alike): the portal's round r takes the r-th quarter of the
    `notify_calls` calls. Each side's figures summed over its rounds (its p50 the median of its
    rounds', its p99 the worst), each round's throughput, the CPU the portal's rounds cost
    (over their wall time) and the portal's programs' CPU over the reference's rounds."""
    from bench import capacity

    per_thread = notify_calls // CONNECTIONS // INTAKE_ROUNDS
    notify = ("notify.lua", url)
    load = {"threads": CONNECTIONS, "connections": CONNECTIONS}
    runs: dict[str, list[dict]] = {"reference": [], "portal": []}
    reference_cpu_s, portal_cpu = 0.0, []
    for round_ in range(INTAKE_ROUNDS):
        first = round_ * per_thread * CONNECTIONS
        sides = ("reference", "portal") if round_ % 2 == 0 else ("portal", "reference")
        for side in sides:
            cpu_before, started = cpu_sample(), time.monotonic()
            if side == "reference":
                run = wrk(*notify, 0, per_thread, MEMBERS, "-", REFERENCE_PREFIX, **load)
                reference_cpu_s += sum(
                    programs_since(cpu_before)[name] for name in capacity.PORTAL_PROGRAMS
                )
            else:
                run = wrk(*notify, first, per_thread, MEMBERS, auth, NOTIFY_PREFIX, **load)
                portal_cpu.append((cpu_before, cpu_sample(), time.monotonic() - started))
            runs[side].append(run)
            print(f"  {side}, round {round_ + 1}: {json.dumps(run)}", flush=True)
    totals = {label: _runs_summed(figures) for label, figures in runs.items()}
    return {
        **totals,
        "reference_rps": [run["acked"] / run["duration_s"] for run in runs["reference"]],
        "portal_rps": [run["acked"] / run["duration_s"] for run in runs["portal"]],
        "reference_cpu_s": reference_cpu_s,
        "cpu": cpu_use_over(portal_cpu),
    }


def _runs_summed(runs: list[dict]) -> dict:
    summed = {key: sum(run[key] for run in runs) for key in ("acked", "refused", "duration_s")}
    summed["p50_ms"] = statistics.median(run["p50_ms"] for run in runs)
    summed["p99_ms"] = max(run["p99_ms"] for run in runs)
    return summed


def notify_check(first: int, count: int, acked_total: int) -> dict:
    """What the database says after the portal's run: lost notifications, double debits."""
    from django.db.models import Count, Sum

    from calls.models import Call, CallEvent
    from members.models import MinutePool, UsageDaily, UsageEntry, UsageMonthly

    expected = expected_deliveries(first, count)
    identifiers = sorted({identifier for identifier, _ in expected})
    kept = {
        (row["callidentifier"], row["status"]): row["n"]
        for row in CallEvent.objects.filter(
            callidentifier__in=identifiers,
            outcome__in=[
                CallEvent.Outcome.APPLIED,
                CallEvent.Outcome.DUPLICATE,
                CallEvent.Outcome.STALE,
            ],
        )
        .values("callidentifier", "status")
        .annotate(n=Count("id"))
    }
    lost = sum(max(0, times - kept.get(key, 0)) for key, times in expected.items())
    calls = Call.objects.filter(callidentifier__in=identifiers)
    ended = calls.filter(status=Call.Status.ENDED).count()
    debits = UsageEntry.objects.filter(call__callidentifier__in=identifiers).count()
    ledger = UsageEntry.objects.aggregate(n=Count("id"), billed=Sum("billed_seconds"))
    pool_billed = MinutePool.objects.aggregate(b=Sum("billed_seconds_used"))["b"] or 0
    daily = UsageDaily.objects.aggregate(n=Sum("calls"), billed=Sum("billed_seconds"))
    monthly = UsageMonthly.objects.aggregate(n=Sum("calls"), billed=Sum("billed_seconds"))
    # The ledger takes one row per call (a unique key); a debit made twice would show in the
    # pool's balance or the rollups moving by more than the ledger.
    double_debits = max(0, debits - ended) + sum(
        max(0, (rollup["n"] or 0) - ledger["n"]) for rollup in (daily, monthly)
    )
    return {
        "expected": sum(expected.values()),
        "acknowledged": acked_total,
        "lost": lost,
        "calls": len(identifiers),
        "calls_ended": ended,
        "calls_debited": debits,
        "double_debits": double_debits,
        "ledger_matches_pool_and_rollups": pool_billed
        == ledger["billed"]
        == daily["billed"]
        == monthly["billed"],
    }


def click_latencies(sends: list[list[float]], operator) -> dict[str, list[float]]:
    """Milliseconds from each POST leaving wrk to its clicktodialbegin reaching the sandbox, and
    that time's parts: to the call's row being written, queued (the row to a worker claiming the
    call), and the worker's begin until the operator has the request."""
    from calls.models import Call

    sent_at = {int(index): at for index, at in sends}
    arrived = {}
    for request in list(operator.requests):
        if request.path.endswith("/clicktodialbegin") and isinstance(request.body, dict):
            match = re.search(r"6137(\d{8})$", str(request.body.get("callee", "")))
            if match:
                arrived[int(match.group(1))] = request.received_at.timestamp() * 1000
    first = min(sent_at.values(), default=0)
    parts: dict[str, list[float]] = {
        "sent": [],  # since the first click, to see whether slow ones come together
        "total": [],
        "to_row": [],
        "queued": [],
        "to_operator": [],
    }
    calls = Call.objects.filter(callee__startswith="+86137", begun_at__isnull=False)
    for callee, created_at, begun_at in calls.values_list("callee", "created_at", "begun_at"):
        index = int(callee[-8:])
        if index not in sent_at or index not in arrived:
            continue
        created, begun = created_at.timestamp() * 1000, begun_at.timestamp() * 1000
        parts["sent"].append(sent_at[index] - first)
        parts["total"].append(arrived[index] - sent_at[index])
        parts["to_row"].append(created - sent_at[index])
        parts["queued"].append(begun - created)
        parts["to_operator"].append(arrived[index] - begun)
    return parts


def _rounded(statistic, values: list[float]) -> float | None:
    return round(statistic(values), 1) if values else None


def _p95(values: list[float]) -> float:
    return percentile(values, 0.95)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(
    *, notifications: int, click_seconds: int, reports_command: list[str] | None = None
) -> dict:
    from bench import capacity  # it measures with this module's tools
    from sandbox.server import SandboxConfig, SandboxOperator

    database_recreate(LIVE_DATABASE_URL)
    redis_flush()
    notify_calls = calls_for(notifications, rounds=INTAKE_ROUNDS)
    warmup_calls = calls_for(2000)
    click_calls = CLICK_RATE * click_seconds
    capacity_seconds = click_seconds  # each capacity step's: 30 s in the full run
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="clicktodial-bench-"))
    notify_password = secrets.token_urlsafe(24)
    operator = SandboxOperator(
        SandboxConfig(
            notify_url=f"http://127.0.0.1:{port}{NOTIFY_PREFIX}{{callidentifier}}",
            notify_username=NOTIFY_USERNAME,
            notify_password=notify_password,
            # Every call and notification kept until the run has read them.
            history_limit=1_000_000,
            calls_kept=1_000_000,
        )
    )
    operator.start()
    env = environment(port, operator.origin, var_dir, notify_password)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"live: {notify_calls:,} calls to notify about, {click_calls} clicks; logs in {var_dir}",
        flush=True,
    )
    data_prepare(
        notify_calls=notify_calls,
        warmup_calls=warmup_calls,
        click_calls=CLICK_WARMUP + click_calls + capacity.calls_needed(capacity_seconds),
    )
    stack = stack_start(env, port, var_dir)
    auth = (
        "Basic "
        + base64.b64encode(f"{NOTIFY_USERNAME}:{env['OPERATOR_NOTIFY_PASSWORD']}".encode()).decode()
    )
    try:
        # Warm-up: every worker has imported and connected before anything is measured.
        warm = warmup_calls // CONNECTIONS
        notify = ("notify.lua", stack.url)
        load = {"threads": CONNECTIONS, "connections": CONNECTIONS}
        wrk(*notify, notify_calls, warm, MEMBERS, auth, NOTIFY_PREFIX, **load)
        wrk(*notify, 0, warm, MEMBERS, "-", REFERENCE_PREFIX, **load)
        rss_before = {pid: rss_mb(pid) for pid in stack.web_worker_pids()}
        intake = intake_rounds(stack.url, notify_calls, auth)
        reference, portal = intake["reference"], intake["portal"]
        reference_cpu_s, notify_cpu = intake["reference_cpu_s"], intake["cpu"]
        rss_after = {pid: rss_mb(pid) for pid in stack.web_worker_pids()}
        check = notify_check(0, notify_calls, portal["acked"])
        print(f"  database: {json.dumps(check)}", flush=True)

        # Enough connections that a slow answer never holds back the next click: the rate is kept.
        clicks = ("click.lua", stack.url)
        load = {"threads": 1, "connections": 16}
        # Warm-up: the first clicks of a fresh stack are slow once (a token from the operator,
        # each worker thread's first database connection, code run for the first time).
        wrk(*clicks, CLICK_WARMUP, CLICK_RATE, 0, **load)
        time.sleep(2)
        cpu_before = cpu_sample()
        click = wrk(*clicks, click_calls, CLICK_RATE, CLICK_WARMUP, **load)
        click_cpu = cpu_use(cpu_before, click["duration_s"])
        time.sleep(2)  # the last begins reach the sandbox
        latencies = click_latencies(click["sends"], operator)
        print("  slowest clicks (ms): sent at, total = to row + queued + to operator", flush=True)
        rows = sorted(zip(*latencies.values(), strict=True), key=lambda row: -row[1])
        for row in rows[:8]:
            print("   ", "  ".join(f"{figure:8.0f}" for figure in row), flush=True)

        uploads = upload_measure(
            stack.url,
            "clicker00000",
            lambda: {pid: rss_mb(pid) for pid in stack.web_worker_pids()},
        )
        print(f"  200 MB uploads: {json.dumps(uploads)}", flush=True)

        # Behind the deploy guide's nginx, as production runs it (bench/capacity.py says why).
        with nginx_running(var_dir / "nginx", free_port(), port) as front:
            capacity_figures = capacity.run(
                front,
                operator,
                step_seconds=capacity_seconds,
                first=CLICK_WARMUP + click_calls,
                reports_command=reports_command,
            )
        # The reference's validate-and-insert, six times: a complete call's six requests (the
        # click and the operator's notifications, one resent in ten, and the recording's).
        capacity_figures["reference_cpu_ms_per_call"] = round(
            6 * reference_cpu_s * 1000 / reference["acked"], 1
        )
        print(f"  capacity: {json.dumps(capacity_figures)}", flush=True)
    finally:
        stack.stop()
        operator.stop()
    throughput = portal["acked"] / portal["duration_s"]
    reference_rps = reference["acked"] / reference["duration_s"]
    ratios = [p / r for p, r in zip(intake["portal_rps"], intake["reference_rps"], strict=True)]
    growth = max(rss_after[pid] - rss_before[pid] for pid in rss_before if pid in rss_after)
    return {
        "notify": {
            "notifications": portal["acked"],
            "throughput_rps": round(throughput, 1),
            "reference_rps": round(reference_rps, 1),
            "ratio": round(throughput / reference_rps, 2),
            # Each round's own ratio: how far this machine's drift moved the figure.
            "round_ratios": [round(ratio, 2) for ratio in ratios],
            "p50_ms": portal["p50_ms"],
            "p99_ms": portal["p99_ms"],
            "reference_p99_ms": reference["p99_ms"],
            "refused": portal["refused"],
            "lost": check["lost"],
            "double_debits": check["double_debits"],
            "calls_ended": check["calls_ended"],
            "calls_debited": check["calls_debited"],
            "ledger_matches_pool_and_rollups": check["ledger_matches_pool_and_rollups"],
            "cpu": notify_cpu,
        },
        "click_to_call": {
            "calls": len(latencies["total"]),
            "sent": len(click["sends"]),
            "rate_per_s": round(len(click["sends"]) / click["duration_s"], 1),
            "p50_ms": _rounded(statistics.median, latencies["total"]),
            "p95_ms": _rounded(_p95, latencies["total"]),
            "api_p50_ms": click["p50_ms"],
            **{
                f"{part}_{name}_ms": _rounded(statistic, latencies[part])
                for part in ("to_row", "queued", "to_operator")
                for name, statistic in (("p50", statistics.median), ("p95", _p95))
            },
            "cpu": click_cpu,
        },
        "web_worker_growth_mb": round(growth, 1),
        # The requests the workers took meanwhile: the portal's notifications and the reference's.
        "web_worker_notifications": portal["acked"] + reference["acked"],
        "uploads": uploads,
        "capacity": capacity_figures,
    }
