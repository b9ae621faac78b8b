"""/healthz and /readyz, as a load balancer's probe sees them: by IP address, over plain HTTP, with
no session, and each part's state in the answer."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from django.test import Client, override_settings
from kombu import Connection

from calls.models import Call
from calls.services.dialing import call_begin
from clicktodial_portal.celery import app as celery_app

pytestmark = pytest.mark.django_db

PROBE = {"HTTP_HOST": "10.0.0.7"}  # a balancer asks by address, which ALLOWED_HOSTS refuses
DEAD = "127.0.0.1:9"  # the discard port: nothing listens there


TOKEN = "readyz-test-token"


@pytest.fixture
def probe() -> Client:
    """An operator's probe, with the token that shows what went wrong."""
    return Client(**PROBE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True  # a probe over plain HTTP is answered, not redirected
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.METRICS_TOKEN = TOKEN


@pytest.mark.django_db
def test_errors_are_shown_only_to_the_bearer_of_the_token(settings):
    settings.OPERATOR_TOKEN_URL = f"http://{DEAD}/oauth2/token"

    anyone = Client(**PROBE).get("/readyz").json()["checks"]["operator"]
    operator = Client(**PROBE, HTTP_AUTHORIZATION=f"bearer {TOKEN}").get("/readyz")

    assert anyone["ok"] is False and "error" not in anyone
    assert "OperatorUnreachable" in operator.json()["checks"]["operator"]["error"]


def test_liveness_answers_without_asking_anything(probe, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = probe.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_ready_when_every_part_answers(probe, sandbox):
    response = probe.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "cache", "storage", "operator"}
    assert all(check["ok"] for check in body["checks"].values()), body


def test_the_operator_down_is_reported_but_keeps_the_portal_ready(probe, settings):
    settings.OPERATOR_TOKEN_URL = f"http://{DEAD}/oauth2/token"
    response = probe.get("/readyz")
    assert response.status_code == 200
    operator = response.json()["checks"]["operator"]
    assert operator["ok"] is False and operator["required"] is False
    assert "OperatorUnreachable" in operator["error"]


def test_the_operator_part_says_whether_it_answered_last_time_not_only_that_a_token_is_kept(
    probe, sandbox, settings, member
):
    fresh = probe.get("/readyz").json()["checks"]["operator"]
    assert fresh["ok"] is True
    assert fresh["last_answer_seconds_ago"] == 0  # the token fetched just now

    # The token stays kept; then a worker's begin finds the operator gone.
    settings.OPERATOR_API_BASE_URL = f"http://{DEAD}/clicktodial/v1"
    call = Call.objects.create(
        member=member, sponsor="01052680000", caller=member.phone_number, callee="+8613800000001"
    )
    call_begin(call_id=call.pk, last_attempt=True)
    failing = probe.get("/readyz")

    assert failing.status_code == 200  # reported, but calls failing keep the rest ready
    operator = failing.json()["checks"]["operator"]
    assert operator["ok"] is False
    assert "clicktodialbegin failed" in operator["error"] and "no answer since" in operator["error"]

    # It answers again (a refusal is an answer; no call is placed, so no notification is left
    # in flight when the test ends): the next request that reaches it clears the part.
    settings.OPERATOR_API_BASE_URL = sandbox.base_url
    call = Call.objects.create(
        member=member, sponsor="01052680000", caller=member.phone_number, callee="+8613800000008"
    )
    call_begin(call_id=call.pk, last_attempt=True)
    assert probe.get("/readyz").json()["checks"]["operator"]["ok"] is True


def test_a_broken_cache_makes_the_portal_unready(probe):
    dead = {
        "BACKEND": "clicktodial_portal.cache.ClientReusingRedisCache",
        "LOCATION": f"redis://{DEAD}",
    }
    # Not the settings fixture: the cache is emptied after each test, before it is restored.
    with override_settings(CACHES={"default": dead}):
        response = probe.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert body["checks"]["cache"]["ok"] is False
    assert "Connection" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_an_unreachable_broker_makes_the_portal_unready(probe, monkeypatch):
    # The app's connection, not its configuration: Celery's settings keep what they once read.
    monkeypatch.setattr(
        celery_app,
        "connection_for_write",
        lambda **options: Connection(f"redis://{DEAD}/0", **options),
    )
    response = probe.get("/readyz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["required"] is True
    assert broker["ms"] < 5000  # given up on, not waited for


def test_a_recordings_folder_that_cannot_be_written_makes_the_portal_unready(
    probe, settings, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "recordings")},
        },
    }
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert "not a writable folder" in response.json()["checks"]["storage"]["error"]


def test_object_storage_is_checked_by_its_bucket(probe, s3_recordings):
    client = s3_recordings("portal-readyz")
    missing = probe.get("/readyz").json()["checks"]["storage"]
    assert missing["ok"] is False and "404" in missing["error"]

    client.create_bucket(Bucket="portal-readyz")
    try:
        assert probe.get("/readyz").json()["checks"]["storage"]["ok"] is True
    finally:
        client.delete_bucket(Bucket="portal-readyz")


def test_a_server_that_never_answers_is_given_up_on_in_seconds(tmp_path):
    """A database or cache host that accepts connections and then says nothing (a hung server)
    fails its check after the settings' timeouts, so the probe answers 503 in time."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are accepted by the kernel, never answered
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    script = (
        "import json, django; django.setup()\n"
        "from django.test import Client\n"
        "print(json.dumps(Client().get('/readyz').json()['checks']))\n"
    )
    try:
        output = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", script],
            env={
                **os.environ,
                "DATABASE_URL": f"postgres://portal@{address}/portal",
                "CACHE_URL": f"redis://{address}/1",
                "PORTAL_VAR_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    finally:
        silent.close()

    checks = json.loads(output.stdout.strip().splitlines()[-1])
    assert checks["database"]["ok"] is False and checks["database"]["ms"] < 8000
    assert checks["cache"]["ok"] is False and checks["cache"]["ms"] < 4000
