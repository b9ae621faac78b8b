"""Two web processes and two workers on one PostgreSQL database and one broker, as two hosts
would run them: calls placed through both webs, the operator's notifications taken by both,
every call right and every debit made once.

Each worker talks to its own sandbox operator, and each sandbox notifies a different web, so
that both webs and both workers certainly do work. Needs what several hosts share: a database
server and a network broker and cache (CI's second run: PostgreSQL and Redis); on the embedded
defaults (SQLite, a folder as broker, a file cache) it is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from calls.models import Call, CallEvent
from clicktodial_portal.celery import app as celery_app
from clicktodial_portal.procfile import procfile_commands
from members.models import Member, MinutePool, UsageEntry
from sandbox.server import SandboxConfig, SandboxOperator
from tests.conftest import NOTIFY_PASSWORD, NOTIFY_USERNAME
from tests.helpers import database_url, free_port, wait_until

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        or settings.CELERY_BROKER_URL.startswith("filesystem://")
        or "filebased" in settings.CACHES["default"]["BACKEND"],
        reason="several hosts share a database server, a network broker and a shared cache",
    ),
]

CALLS = 12  # placed through the two webs in turn
CALLS_AFTER_KILL = 4
SLOW_BEGIN_CALLEE = "+8613800000011"  # the sandbox holds the answer to its begin back
SLOW_BEGIN_SECONDS = 8.0
METRICS_TOKEN = "scale-out-test-token"


def portal_environment(var_dir: Path, operator: SandboxOperator) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,  # the cache: CACHE_URL, as the tests'
        "PORTAL_VAR_DIR": str(var_dir),  # one host's: its recordings
        "PROMETHEUS_MULTIPROC_DIR": str(var_dir / "metrics"),  # its counts, not the tests' own
        "OPERATOR_API_BASE_URL": operator.base_url,
        "OPERATOR_TOKEN_URL": operator.token_url,
        "OPERATOR_CLIENT_ID": "test-client",
        "OPERATOR_CLIENT_SECRET": "test-secret",
        "OPERATOR_NOTIFY_USERNAME": NOTIFY_USERNAME,
        "OPERATOR_NOTIFY_PASSWORD": NOTIFY_PASSWORD,
        "METRICS_TOKEN": METRICS_TOKEN,
        "CALL_MAX_ACTIVE_PER_MEMBER": "1",
    }


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - this venv's programs, fixed arguments
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def clickers(count: int) -> list[str]:
    """Employees, each with a member number and an API token; their tokens."""
    tokens = []
    for index in range(count):
        user = get_user_model().objects.create_user(f"scale-out-{index}", password=None)
        Member.objects.create(
            name=f"Scale-out {index}", phone_number=f"+861391000{index:04d}", user=user
        )
        tokens.append(Token.objects.create(user=user).key)
    return tokens


@pytest.fixture
def only_the_hosts_workers():
    """The tests' own worker (tests/conftest.py), when this session has started one, stops taking
    tasks from the shared broker for the test: the two hosts' workers must take them all."""
    ours = [name for reply in celery_app.control.ping(timeout=1) for name in reply]
    queues = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    for queue in queues if ours else []:
        celery_app.control.cancel_consumer(queue, destination=ours, reply=True)
    yield
    for queue in queues if ours else []:
        celery_app.control.add_consumer(queue, destination=ours, reply=True)


@dataclass
class Hosts:
    """Two hosts' processes (web, calls worker, recordings worker each) and their operators."""

    ports: list[int]
    operators: list[SandboxOperator]
    processes: dict[tuple[int, str], subprocess.Popen]
    logs: Path

    def log(self, host: int, name: str) -> bytes:
        return (self.logs / f"{name}-{host}.log").read_bytes()

    def place(self, token: str, callee: str, host: int) -> int:
        response = requests.post(
            f"http://127.0.0.1:{self.ports[host]}/api/v1/calls/",
            json={"callee": callee},
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        assert response.status_code == 202, response.text
        return response.json()["id"]

    def begins(self) -> list[int]:
        """How many begin requests each host's operator has had."""
        return [
            sum(1 for r in operator.requests if r.path.endswith("/clicktodialbegin"))
            for operator in self.operators
        ]


@contextmanager
def two_hosts(logs: Path, **host_environment: str) -> Iterator[Hosts]:
    """Two hosts from the Procfile, each worker with its own sandbox operator, each operator
    notifying its own host's web; stopped (killed if need be) at the end."""
    ports = [free_port(), free_port()]
    operators = [
        SandboxOperator(
            SandboxConfig(
                client_id="test-client",
                client_secret="test-secret",
                notify_url=f"http://127.0.0.1:{port}/clicktodial/v1/clicktodialstatusnotify/"
                "{callidentifier}",
                notify_username=NOTIFY_USERNAME,
                notify_password=NOTIFY_PASSWORD,
                time_scale=0.02,
                begin_delay_slow=SLOW_BEGIN_SECONDS,
            )
        )
        for port in ports
    ]
    hosts = Hosts(ports, operators, {}, logs)
    try:
        for operator in operators:
            operator.start()
        for index, (port, operator) in enumerate(zip(ports, operators, strict=True)):
            # A host: the Procfile's web and two workers, each worker's operator its own.
            env = portal_environment(logs / f"host-{index}", operator)
            env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
            env.update(host_environment)
            commands = procfile_commands()
            for name in ("web", "worker", "recordings"):
                command = [part.replace("%h", f"host-{index}") for part in commands[name]]
                hosts.processes[index, name] = spawn(command, env, logs / f"{name}-{index}.log")
        for port in ports:
            wait_until(
                lambda port=port: answers(f"http://127.0.0.1:{port}/readyz"),
                timeout=60,
                what=f"the web on {port} to be ready",
            )
        # Both hosts' call workers listening before the first call, so that both take some.
        wait_until(
            lambda: (
                {"calls@host-0", "calls@host-1"}
                <= {name for reply in celery_app.control.ping(timeout=1) for name in reply}
            ),
            timeout=60,
            what="both call workers",
        )
        yield hosts
    finally:
        processes = hosts.processes.values()
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for operator in operators:
            operator.stop()


def assert_each_ended_and_debited_once(placed: list[int]) -> None:
    calls = Call.objects.filter(pk__in=placed)
    assert {(c.status, c.reason, c.duration_seconds) for c in calls} == {("ended", "HangUp", 20)}
    # Every notification kept once and applied; every call debited exactly once.
    applied = CallEvent.objects.filter(call__in=calls, outcome=CallEvent.Outcome.APPLIED)
    assert applied.count() == 4 * len(placed)
    assert UsageEntry.objects.filter(call__in=calls).count() == len(placed)
    ledger = UsageEntry.objects.filter(call__in=calls).aggregate(s=Sum("billed_seconds"))["s"]
    assert MinutePool.objects.get().billed_seconds_used == ledger == 60 * len(placed)


@pytest.mark.usefixtures("only_the_hosts_workers")
def test_two_webs_and_two_workers_share_the_work_and_do_it_once(tmp_path):
    tokens = clickers(CALLS)
    with two_hosts(tmp_path) as hosts:
        placed = []
        for index, token in enumerate(tokens):
            time.sleep(0.1)
            # The sandbox's normal call, through the two webs in turn.
            placed.append(hosts.place(token, f"+86137{index:08d}", host=index % 2))

        wait_until(
            lambda: Call.objects.filter(pk__in=placed, status="ended").count() == len(placed),
            timeout=120,
            what="every call to end",
        )

        def scrapes() -> list[str]:
            return [
                requests.get(
                    f"http://127.0.0.1:{port}/metrics",
                    headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                    timeout=10,
                ).text
                for port in hosts.ports
            ]

        # Each web's /metrics adds up what every process of its host counted (the webs their
        # ends, the workers their begins): the two hosts, every call once. A count comes just
        # after the commit the test saw, so it is waited for.
        def total(name: str, **labels: str) -> float:
            return sum(
                sample.value
                for scrape in scrapes()
                for family in text_string_to_metric_families(scrape)
                for sample in family.samples
                if sample.name == name and labels.items() <= sample.labels.items()
            )

        wait_until(
            lambda: (
                total("clicktodial_calls_total", status="ended", reason="HangUp") == len(placed)
                and total("clicktodial_call_begin_seconds_count", result="begun") == len(placed)
            ),
            timeout=10,
            what="every call's end and begin in the metrics",
        )

    # Each web took notifications, each worker asked its operator to begin calls.
    for operator in hosts.operators:
        assert any(r.path.endswith("/clicktodialbegin") for r in operator.requests)
        assert any(sent.status_code == 200 for sent in operator.notifications), operator
    assert_each_ended_and_debited_once(placed)


@pytest.mark.usefixtures("only_the_hosts_workers")
def test_a_calls_worker_killed_mid_call_leaves_its_call_to_the_other_host(tmp_path):
    """SIGKILL to the calls worker that is waiting for the operator's answer to a begin: the
    broker gives the unacknowledged task to the other host's worker, which finds the call already
    claimed and leaves it; the operator's notifications finish it, and the other host takes every
    call placed afterwards. Each call dialled once and debited once."""
    tokens = clickers(1 + CALLS_AFTER_KILL)
    # On Redis an unacknowledged task comes back after the visibility timeout (production's: 2 h);
    # here 3 s, looked for every second. RabbitMQ gives it back as soon as the connection drops.
    transport = {"visibility_timeout": 3, "unacked_restore_interval": 1}
    with two_hosts(tmp_path, CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(transport)) as hosts:
        slow = hosts.place(tokens[0], SLOW_BEGIN_CALLEE, host=0)
        wait_until(lambda: sum(hosts.begins()) == 1, timeout=30, what="the slow call's begin")
        dialling = hosts.begins().index(1)  # the host whose worker took the task
        other = 1 - dialling
        worker = hosts.processes[dialling, "worker"]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

        wait_until(
            lambda: (
                b"call_begin_task" in hosts.log(other, "worker")
                and b"begin skipped" in hosts.log(other, "worker")
            ),
            timeout=60,
            what="the begin task to run again on the other host",
        )
        placed = [
            hosts.place(token, f"+86137{index:08d}", host=index % 2)
            for index, token in enumerate(tokens[1:])
        ]
        wait_until(
            lambda: (
                Call.objects.filter(pk__in=[slow, *placed], status="ended").count()
                == 1 + len(placed)
            ),
            timeout=120,
            what="every call to end",
        )

    # The slow call dialled once (by the dead worker), every later one by the other host.
    begins = hosts.begins()
    assert begins[dialling] == 1
    assert begins[other] == len(placed)
    assert_each_ended_and_debited_once([slow, *placed])
