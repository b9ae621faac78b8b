"""How the operator proves a notification is its own (OPERATOR_NOTIFY_AUTH), the checks that keep
a portal from starting when anyone could post, and bodies sent chunked."""

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings as django_settings
from django.core.checks import Tags, run_checks
from django.test import RequestFactory
from django.urls import reverse

from calls import checks
from calls.models import Call, CallEvent
from calls.notify import NOTIFY_MAX_BODY_BYTES, StatusNotifyView
from calls.services.dialing import call_begin
from clicktodial_portal.procfile import procfile_commands
from sandbox import SandboxConfig, SandboxOperator
from tests.calls.helpers import IDENTIFIER, answer, basic, body, notify
from tests.conftest import NOTIFY_PASSWORD, NOTIFY_USERNAME
from tests.helpers import database_url, free_port

URL = reverse("operator-status-notify", args=[IDENTIFIER])
CHUNKED_CALLEE = "+8613800000022"  # the sandbox sends this call's notifications chunked
CONNECTED = body("Connected")


# OPERATOR_NOTIFY_AUTH=none: the address alone decides.


@pytest.mark.django_db
def test_with_auth_none_a_notification_without_credentials_from_an_allowed_address_applies(
    client, call, settings
):
    settings.OPERATOR_NOTIFY_AUTH = "none"
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["127.0.0.0/8"]

    response = notify(client, CONNECTED, auth="")

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED


@pytest.mark.django_db
def test_with_auth_none_an_address_outside_the_list_is_refused_and_nothing_kept(
    client, call, settings
):
    settings.OPERATOR_NOTIFY_AUTH = "none"
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["10.0.0.0/8"]

    # Even the right credentials do not stand in for the address.
    response = notify(client, CONNECTED, auth=basic())

    assert answer(response) == (403, "0001004")
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
    assert not CallEvent.objects.exists()


@pytest.mark.django_db
def test_with_auth_none_and_no_allow_list_nothing_is_believed(client, call, settings):
    """The portal refuses to start so (below); should it run all the same, it believes no one."""
    settings.OPERATOR_NOTIFY_AUTH = "none"
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = []

    for auth in ("", basic()):
        assert answer(notify(client, CONNECTED, auth=auth)) == (401, "0001004")
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
    assert not CallEvent.objects.exists()


@pytest.mark.django_db
def test_with_auth_basic_a_notification_without_credentials_is_refused_even_when_allowed(
    client, call, settings
):
    settings.OPERATOR_NOTIFY_AUTH = "basic"
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["127.0.0.0/8"]

    assert answer(notify(client, CONNECTED, auth="")) == (401, "0001004")
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING


# The checks.


@pytest.mark.parametrize(
    ("mode", "allowed", "fails"),
    [
        ("basic", [], False),
        ("none", ["203.0.113.0/24"], False),
        ("none", [], True),
        ("hmac", ["203.0.113.0/24"], True),
    ],
)
def test_auth_none_without_an_allow_list_or_an_unknown_mode_is_a_check_error(
    settings, mode, allowed, fails
):
    settings.OPERATOR_NOTIFY_AUTH = mode
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = allowed

    found = {error.id for error in run_checks(tags=[Tags.security])}

    assert ("calls.E003" in found) is fails


def load_the_web_application(
    entry: str = "wsgi", **environment: str
) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - this venv's Python importing our own entry point
        [sys.executable, "-c", f"import clicktodial_portal.{entry}"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_web_process_refuses_to_start_when_anyone_could_post():
    """The WSGI application runs the checks as it loads: gunicorn stops, saying why."""
    refused = load_the_web_application(OPERATOR_NOTIFY_AUTH="none", OPERATOR_NOTIFY_ALLOWED_IPS="")
    allowed = load_the_web_application(
        OPERATOR_NOTIFY_AUTH="none", OPERATOR_NOTIFY_ALLOWED_IPS="203.0.113.0/24"
    )

    assert refused.returncode != 0
    assert "calls.E003" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


def test_an_asgi_server_refuses_to_start_so_too():
    refused = load_the_web_application(
        "asgi", OPERATOR_NOTIFY_AUTH="none", OPERATOR_NOTIFY_ALLOWED_IPS=""
    )
    assert refused.returncode != 0
    assert "calls.E003" in refused.stderr


def test_with_auth_none_no_notify_password_is_asked_for(settings):
    settings.DEBUG = False
    settings.OPERATOR_NOTIFY_AUTH = "none"
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["203.0.113.0/24"]
    settings.OPERATOR_NOTIFY_PASSWORD = ""

    deploy = {e.id for e in run_checks(tags=[Tags.security], include_deployment_checks=True)}

    assert "calls.E001" not in deploy


@pytest.mark.parametrize(
    ("sponsor", "fails"),
    [
        ("01052680000", False),
        ("+861052680000", False),
        ("861052680000", False),
        ("010-5268-0000", True),
        ("not a number", True),
        ("0105268000000000000000", True),
    ],
)
def test_the_sponsor_must_be_written_as_the_operator_registers_numbers(settings, sponsor, fails):
    settings.OPERATOR_SPONSOR = sponsor

    assert ([e.id for e in checks.sponsor_check(None)] == ["calls.E005"]) is fails


@pytest.mark.parametrize(
    "name", ["OPERATOR_NOTIFY_PASSWORD", "OPERATOR_CLIENT_SECRET", "METRICS_TOKEN"]
)
def test_check_deploy_flags_a_placeholder_secret(settings, name):
    setattr(settings, name, "change-me")

    deploy = [e for e in run_checks(tags=[Tags.security], include_deployment_checks=True)]
    plain = {e.id for e in run_checks(tags=[Tags.security])}

    assert [e.msg for e in deploy if e.id == "calls.E004"] == [f"{name} is still a placeholder."]
    assert "calls.E004" not in plain


def test_real_secrets_are_no_placeholders(settings):
    settings.OPERATOR_NOTIFY_PASSWORD = "k3J9-real-notify-secret"
    settings.OPERATOR_CLIENT_SECRET = "another-real-one"
    settings.METRICS_TOKEN = ""

    assert checks.placeholder_secrets_check(None) == []


# Bodies sent with Transfer-Encoding: chunked.


@pytest.mark.django_db
def test_a_chunked_body_is_read_from_the_servers_decoded_input(call):
    """gunicorn undoes the chunking in wsgi.input and sets no Content-Length; Django's own
    stream would read nothing of such a body."""
    request = RequestFactory().post(
        URL,
        data=b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(),
        HTTP_TRANSFER_ENCODING="chunked",
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["wsgi.input"] = io.BytesIO(json.dumps(CONNECTED).encode())

    response = StatusNotifyView.as_view()(request, callidentifier=IDENTIFIER)

    assert response.status_code == 200
    call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED


@pytest.mark.django_db
def test_a_chunked_body_over_the_limit_is_refused_after_reading_no_more_than_it(call):
    request = RequestFactory().post(
        URL,
        data=b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(),
        HTTP_TRANSFER_ENCODING="chunked",
    )
    request.META.pop("CONTENT_LENGTH", None)
    stream = io.BytesIO(b"{" + b" " * (NOTIFY_MAX_BODY_BYTES * 16))
    request.META["wsgi.input"] = stream

    response = StatusNotifyView.as_view()(request, callidentifier=IDENTIFIER)

    assert response.status_code == 413
    assert stream.tell() == NOTIFY_MAX_BODY_BYTES + 1
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING


@pytest.fixture
def gunicorn_portal(tmp_path) -> Iterator[str]:
    """The Procfile's web command on the tests' database: its base URL. Django's test server
    cannot read a chunked body (no Content-Length, so it reads none); gunicorn, which runs the
    portal, undoes the chunking."""
    port = free_port()
    web = subprocess.Popen(  # noqa: S603 - the Procfile's web command
        procfile_commands()["web"],
        cwd=django_settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "PORTAL_VAR_DIR": str(tmp_path),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "OPERATOR_NOTIFY_USERNAME": NOTIFY_USERNAME,
            "OPERATOR_NOTIFY_PASSWORD": NOTIFY_PASSWORD,
        },
        stdout=(tmp_path / "web.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        web.terminate()
        web.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_chunked_notification_reaches_the_call_through_gunicorn(call, gunicorn_portal):
    """A real chunked request: applied, and one over the limit refused, without a
    Content-Length either time."""
    url = gunicorn_portal + URL
    payload = json.dumps(CONNECTED).encode()
    auth = (NOTIFY_USERNAME, NOTIFY_PASSWORD)

    # A generator makes requests send the body chunked, with no Content-Length.
    sent = requests.post(url, data=iter([payload[:10], payload[10:]]), auth=auth, timeout=10)
    oversize = requests.post(
        url, data=iter([b" " * NOTIFY_MAX_BODY_BYTES] * 2), auth=auth, timeout=10
    )

    assert sent.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in sent.request.headers
    assert (sent.status_code, sent.json()["code"]) == (200, "0000000")
    assert (oversize.status_code, oversize.json()["code"]) == (413, "0000002")
    call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED


@pytest.mark.django_db(transaction=True)
def test_the_sandboxs_chunked_notifications_end_the_call(member, gunicorn_portal, settings):
    """The sandbox's scenario for an operator that sends every notification chunked, posting to
    the portal under gunicorn: the call ends, billed."""
    operator = SandboxOperator(
        SandboxConfig(
            notify_url=gunicorn_portal + "/clicktodial/v1/clicktodialstatusnotify/{callidentifier}",
            notify_username=NOTIFY_USERNAME,
            notify_password=NOTIFY_PASSWORD,
            time_scale=0.02,
        )
    )
    operator.start()
    try:
        settings.OPERATOR_API_BASE_URL = operator.base_url
        settings.OPERATOR_TOKEN_URL = operator.token_url
        settings.OPERATOR_CLIENT_ID = operator.config.client_id
        settings.OPERATOR_CLIENT_SECRET = operator.config.client_secret
        call = Call.objects.create(
            member=member,
            sponsor="01052680000",
            caller=member.phone_number,
            callee=CHUNKED_CALLEE,
        )
        call_begin(call_id=call.pk, last_attempt=True)
        assert operator.wait_for_call_end(Call.objects.get(pk=call.pk).callidentifier, timeout=20)
    finally:
        operator.stop()

    call.refresh_from_db()
    assert (call.status, call.duration_seconds, call.billed_minutes) == ("ended", 20, 1)
    assert {n.status_code for n in operator.notifications} == {200}
