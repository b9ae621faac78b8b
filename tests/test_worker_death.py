"""A worker killed in the middle of a task: with late acknowledgement the broker hands the task to
another worker, which runs it again, and nothing is done twice (the call is dialled once).

Needs a broker that redelivers what a dead worker took: Redis (CI's second run) or RabbitMQ. The
embedded file-system broker keeps a taken message only in the worker's memory, so a worker killed
with SIGKILL loses it; there the test is skipped, saying so.
"""

import json
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings

from calls.models import Call
from calls.tasks import call_begin_task
from clicktodial_portal.celery import app as celery_app
from members.models import UsageEntry
from tests.helpers import database_url, wait_until
from tests.reliability import record

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

# A queue of the test's own, so that the test session's in-process worker never takes the task.
QUEUE = "worker-death-test"


def start_worker(sandbox, tmp_path, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # Unacknowledged tasks go back to the queue after 3 s, looked for every second.
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
            {"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
        ),
        "OPERATOR_API_BASE_URL": sandbox.base_url,
        "OPERATOR_TOKEN_URL": sandbox.token_url,
        "OPERATOR_CLIENT_ID": "test-client",
        "OPERATOR_CLIENT_SECRET": "test-secret",
        # Long enough that the worker is still waiting for the begin's answer when it is killed.
        "OPERATOR_READ_TIMEOUT": "30",
        "PORTAL_VAR_DIR": str(tmp_path / name),
    }
    return subprocess.Popen(  # noqa: S603 (Celery from this venv, fixed arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clicktodial_portal",
            "worker",
            "-Q",
            QUEUE,
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--hostname",
            f"{name}@%h",
            "--loglevel",
            "INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=open(tmp_path / f"{name}.log", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def begins(sandbox) -> int:
    return sum(1 for request in sandbox.requests if request.path.endswith("/clicktodialbegin"))


@pytest.mark.skipif(
    settings.CELERY_BROKER_URL.startswith("filesystem://"),
    reason="the file-system broker cannot redeliver a task whose worker was killed",
)
def test_a_task_whose_worker_is_killed_runs_again_and_dials_once(make_sandbox, member, tmp_path):
    # Sent to the broker for real (tests/conftest.py makes tasks eager, and sets it back each test).
    celery_app.conf.task_always_eager = False
    # The begin's answer is held back 8 s: the first worker is killed while it waits for it.
    sandbox = make_sandbox(begin_delay_slow=8.0)
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000011",
    )
    first = start_worker(sandbox, tmp_path, "first")
    second = None
    try:
        call_begin_task.apply_async((call.pk,), queue=QUEUE)
        wait_until(lambda: begins(sandbox) == 1, timeout=30, what="the first worker's begin")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        second = start_worker(sandbox, tmp_path, "second")
        # The broker gives the unacknowledged task to the second worker, which finds the call
        # already claimed and does nothing; the notifications finish the call.
        wait_until(
            lambda: Call.objects.get(pk=call.pk).status == "ended", timeout=60, what="the end"
        )
        wait_until(
            lambda: (
                b"call_begin_task" in (tmp_path / "second.log").read_bytes()
                and b"succeeded" in (tmp_path / "second.log").read_bytes()
            ),
            timeout=30,
            what="the task to run again on the second worker",
        )
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)

    call.refresh_from_db()
    assert begins(sandbox) == 1
    assert (call.status, call.reason, call.duration_seconds) == ("ended", "HangUp", 20)
    assert UsageEntry.objects.filter(call=call).count() == 1
    record("worker deaths", injected=1, survived=1)
