"""Log lines about a call carry its id and identifier, in JSON when asked; Sentry by DSN alone."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from calls.models import Call
from clicktodial_portal.procfile import procfile_commands
from tests.calls.helpers import start, wait_for
from tests.helpers import free_port, wait_until


def run_portal_python(script: str, **environment: str) -> subprocess.CompletedProcess:
    """`script` in a new process with Django set up, as a web or worker process would be."""
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", f"import django; django.setup()\n{script}"],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


LOG_ABOUT_A_CALL = """
import logging
from clicktodial_portal.logs import call_logging
with call_logging(call_id=12, callidentifier="ABC123"):
    logging.getLogger("calls.services").info("call %s: begun", 12)
logging.getLogger("calls.services").info("about no call")
"""


def test_json_lines_carry_the_call(tmp_path):
    output = run_portal_python(LOG_ABOUT_A_CALL, LOG_FORMAT="json")

    lines = [json.loads(line) for line in output.stderr.splitlines() if line.startswith("{")]
    about, other = [line for line in lines if line["logger"] == "calls.services"]
    assert about["message"] == "call 12: begun"
    assert (about["call_id"], about["callidentifier"]) == (12, "ABC123")
    assert about["level"] == "INFO" and about["time"].endswith("+00:00")
    assert other["message"] == "about no call" and "call_id" not in other


def test_text_lines_name_the_call(tmp_path):
    output = run_portal_python(LOG_ABOUT_A_CALL)

    (about,) = [line for line in output.stderr.splitlines() if "begun" in line]
    assert "INFO calls.services [call 12 ABC123] call 12: begun" in about
    (other,) = [line for line in output.stderr.splitlines() if "about no call" in line]
    assert "[call" not in other


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_every_line_about_a_call_in_the_worker_and_the_notifications_names_it(
    api, member, sandbox, caplog
):
    caplog.set_level(logging.INFO)

    call = wait_for(start(api, "+8613800000001")["id"], lambda c: c.status == "ended")
    # On PostgreSQL the end is said once its statement has committed (calls.services.progress):
    # the test may see the ended row a moment before the notification's thread logs it.
    ended = f"call {call.pk} is ended (HangUp)"
    wait_until(
        lambda: any(record.getMessage() == ended for record in caplog.records),
        timeout=10,
        what="the end's log line",
    )

    about = [record for record in caplog.records if getattr(record, "call_id", None) == call.pk]
    loggers = {record.name for record in about}
    # The begin task, the operator client's request, the notifications' handling.
    assert {"calls.services.dialing", "operator_api", "calls.lifecycle"} <= loggers, loggers
    begun = [record for record in about if "begun as" in record.getMessage()]
    assert begun and all(record.call_id == call.pk for record in begun)
    # Each status the operator's notifications moved it to, on a line with both its names.
    notified = {
        record.getMessage()
        for record in caplog.records
        if getattr(record, "callidentifier", None) == call.callidentifier
        and getattr(record, "call_id", None) == call.pk
    }
    assert {
        f"call {call.pk} is calling_caller",
        f"call {call.pk} is connected",
        f"call {call.pk} is ended (HangUp)",
    } <= notified, notified
    assert Call.objects.get(pk=call.pk).status == "ended"


class _SentryIntake(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        _SentryIntake.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_with_a_dsn_errors_go_to_sentry_with_the_call():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SentryIntake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _SentryIntake.received.clear()
    try:
        run_portal_python(
            "import logging, sentry_sdk\n"
            "from clicktodial_portal.logs import call_logging\n"
            "with call_logging(call_id=31):\n"
            "    logging.getLogger('calls.services').error('the operator refused call 31')\n"
            "sentry_sdk.flush(timeout=10)\n",
            SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_port}/1",
        )
    finally:
        server.shutdown()

    items = [
        json.loads(line)
        for envelope in _SentryIntake.received
        for line in envelope.splitlines()
        if line.startswith(b"{")
    ]
    (event,) = [item for item in items if "the operator refused call 31" in json.dumps(item)]
    assert str(event["tags"]["call_id"]) == "31"


def test_without_a_dsn_sentry_is_not_set_up():
    output = run_portal_python("import sentry_sdk\nprint(sentry_sdk.is_initialized())")
    assert output.stdout.strip() == "False"


def test_with_json_logs_gunicorns_own_lines_are_json_too(tmp_path):
    """The web process's whole output, gunicorn's lines and the access log included, is one JSON
    object a line: what a log collector expects of it."""
    port = free_port()
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    web = subprocess.Popen(  # noqa: S603 - the Procfile's web command
        procfile_commands()["web"],
        cwd=Path(__file__).resolve().parent.parent,
        env={
            **os.environ,
            "LOG_FORMAT": "json",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "PORTAL_VAR_DIR": str(tmp_path),
        },
        stdout=out.open("w"),
        stderr=err.open("w"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert (
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
                )
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, err.read_text()
                time.sleep(0.2)
    finally:
        web.terminate()
        web.wait(timeout=30)

    lines = [line for path in (out, err) for line in path.read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]  # every line: fails on one that is not JSON
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers
    # One line per probe that reached it (one given up on while the web still started counts).
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert access and all("GET /healthz" in r["message"] for r in access)
