"""/metrics as Prometheus scrapes it: only with the token, the counts of every process of the host
added up, and the portal's own figures moving with real calls through the sandbox operator."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from calls.models import Call
from recordings.models import Recording
from tests.calls.helpers import start, wait_for

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN = TOKEN
    # By address, as Prometheus does: not a host ALLOWED_HOSTS lists.
    client = Client(HTTP_HOST="10.0.0.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    def samples() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_answer_only_the_bearer_of_the_token(settings):
    probe = Client(HTTP_HOST="10.0.0.9")
    settings.METRICS_TOKEN = ""
    assert probe.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401

    settings.METRICS_TOKEN = TOKEN
    refused = probe.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert probe.get("/metrics").status_code == 401
    assert probe.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_the_pool_and_the_calls_in_progress_are_read_when_scraped(scrape, member):
    from members.pool.services import pool_current

    pool = pool_current()
    pool.minutes_allotted = 500
    pool.billed_seconds_used = 90
    pool.save()
    Call.objects.create(member=member, caller=member.phone_number, callee="+8613800000001")

    samples = scrape()

    assert value(samples, "clicktodial_pool_minutes_allotted") == 500
    assert value(samples, "clicktodial_pool_minutes_remaining") == 498.5
    assert value(samples, "clicktodial_calls_in_progress", status="queued") == 1
    assert value(samples, "clicktodial_calls_in_progress", status="connected") == 0


@pytest.mark.django_db
def test_counts_made_by_another_process_are_added_in(scrape):
    """What a Celery worker counts, in its own process, shows at the web's /metrics."""
    script = (
        "import django; django.setup(); "
        "from clicktodial_portal.metrics import TASK_RETRIES; "
        "TASK_RETRIES.labels('from-another-process').inc(3)"
    )
    before = value(scrape(), "clicktodial_task_retries_total", task="from-another-process")
    subprocess.run([sys.executable, "-c", script], check=True, env=os.environ.copy())  # noqa: S603

    after = value(scrape(), "clicktodial_task_retries_total", task="from-another-process")
    assert after - before == 3


def test_a_one_off_command_keeps_out_of_the_hosts_metrics_folder(tmp_path):
    """manage.py's commands (the deployment guide runs them as root) count in their own memory: a
    file of root's in the units' folder would stop a unit's process that came to have its pid."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    count = (
        "from clicktodial_portal.metrics import TASK_RETRIES; "
        "TASK_RETRIES.labels('by-hand').inc(); print(TASK_RETRIES.labels('by-hand')._value.get())"
    )
    done = subprocess.run(  # noqa: S603 - this venv's Python, fixed arguments
        [sys.executable, "manage.py", "shell", "-c", count],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split()[-1] == "1.0"  # counted, in memory
    assert list(folder.iterdir()) == []


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    """How much the samples of `name` with (at least) these labels grew, added up."""
    wanted = set(labels.items())

    def total(samples: dict) -> float:
        return sum(
            figure
            for (sample, sample_labels), figure in samples.items()
            if sample == name and wanted <= set(sample_labels)
        )

    return total(after) - total(before)


def recording_ready(call: Call, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not Recording.objects.filter(call=call, status=Recording.Status.READY).exists():
        assert time.monotonic() < deadline, "the recording was not downloaded"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def eventually(check, *, timeout: float = 10.0) -> None:
    """`check` passes, at once or once the counts a moment behind the database have come in
    (a counter moves just after the change it counts is committed)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_complete_call_moves_the_counters(scrape, api, member, sandbox):
    before = scrape()

    call = wait_for(start(api, "+8613800000001")["id"], lambda c: c.status == "ended")
    recording_ready(call)

    def counted() -> None:
        after = scrape()
        for status in ("queued", "dialing", "calling_caller", "calling_callee", "connected"):
            assert moved(before, after, "clicktodial_calls_total", status=status, reason="") == 1
        assert moved(before, after, "clicktodial_calls_total", status="ended", reason="HangUp") == 1
        assert moved(before, after, "clicktodial_call_begin_seconds_count", result="begun") == 1
        assert moved(before, after, "clicktodial_notification_seconds_count", code="0000000") == 4
        assert moved(before, after, "clicktodial_recording_downloads_total", result="ready") == 1
        # django-prometheus' own: the API request that placed the call.
        requests = "django_http_requests_total_by_view_transport_method_total"
        assert moved(before, after, requests, view="api-call-list", method="POST") == 1

    eventually(counted)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_retries_and_failures_are_counted(scrape, api, member, settings):
    settings.CALL_BEGIN_MAX_RETRIES = 2
    # Nothing listens there: the begin never reaches an operator, so it is tried three times.
    settings.OPERATOR_API_BASE_URL = "http://127.0.0.1:9/clicktodial/v1"
    settings.OPERATOR_TOKEN_URL = "http://127.0.0.1:9/oauth2/token"
    before = scrape()

    # On RabbitMQ an immediate retry can reach the tests' one-thread worker 10 s late.
    call = wait_for(start(api, "+8613800000001")["id"], lambda c: c.is_final, timeout=30)
    assert call.status == "failed"

    def counted() -> None:
        after = scrape()
        begin_task = "calls.tasks.call_begin_task"
        assert moved(before, after, "clicktodial_task_retries_total", task=begin_task) == 2
        assert moved(before, after, "clicktodial_call_begin_seconds_count") == 3
        # One call: counted once as it reached `dialing`, once as it failed.
        assert moved(before, after, "clicktodial_calls_total", status="dialing") == 1
        assert moved(before, after, "clicktodial_calls_total", status="failed") == 1

    eventually(counted)
