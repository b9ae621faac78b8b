"""The notify endpoint against bad input and infrastructure trouble (calls/notify.py).

Every case checks the HTTP status and the seed's {code, description} body, and that nothing
changed: the call's row and its billing are as before. What was refused before authentication
leaves no trace; an authenticated notification is kept (as invalid, mismatched or for an unknown
call) even when refused: "every notification received is kept". The database going away is
answered 503 with Retry-After, never 200, and the same notification sent again applies once.
"""

import base64
import io
import json
import re

import pytest
from django.core.checks import Tags, run_checks
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.urls import reverse

from calls import checks
from calls.models import Call, CallEvent
from calls.notify import NOTIFY_MAX_BODY_BYTES, StatusNotifyView
from members.models import UsageEntry
from tests.calls.helpers import CALLEE, CALLER, DISCONNECTED, IDENTIFIER, basic, body
from tests.conftest import NOTIFY_PASSWORD
from tests.reliability import record

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

URL = reverse("operator-status-notify", args=[IDENTIFIER])
CONNECTED = json.dumps(body("Connected"))
SEED_ANSWERS = {
    "0000000": "Success",
    "0000001": "Internal Service Error",
    "0000002": "Invalid Input Value",
    "0001004": "Authentication Failure",
    "1001002": "Call ID Error",
}


def send(
    client,
    data: str | bytes = CONNECTED,
    *,
    method: str = "post",
    url: str = URL,
    auth: str | None = None,
    content_type: str = "application/json",
    **extra,
):
    if auth is not None:
        extra["HTTP_AUTHORIZATION"] = auth
    if method in ("get", "head"):
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, data=data, content_type=content_type, **extra)


def seed_answer(response) -> tuple[int, str]:
    """The status and code, after checking the body is exactly the seed's format."""
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert set(answer) == {"code", "description"}
    assert answer["description"] == SEED_ANSWERS[answer["code"]]
    return response.status_code, answer["code"]


def snapshot(call: Call) -> tuple[dict, int]:
    return Call.objects.filter(pk=call.pk).values().get(), UsageEntry.objects.count()


def tried(response) -> None:
    record("bad inputs", tried=1, **{"5xx": int(response.status_code >= 500)})


# Refused before authentication succeeds: nothing is kept.

B64 = base64.b64encode
REFUSED_UNKEPT = {
    "no Authorization": ({}, None, (401, "0001004")),
    "empty Authorization": ({"auth": ""}, None, (401, "0001004")),
    "wrong password": ({"auth": basic(password="wrong")}, None, (401, "0001004")),
    "wrong username": ({"auth": basic(username="intruder")}, None, (401, "0001004")),
    "empty password": ({"auth": basic(password="")}, None, (401, "0001004")),
    "password as username": (
        {"auth": "Basic " + B64(NOTIFY_PASSWORD.encode()).decode()},
        None,
        (401, "0001004"),
    ),
    "Bearer scheme": ({"auth": "Bearer " + NOTIFY_PASSWORD}, None, (401, "0001004")),
    "Digest scheme": ({"auth": basic().replace("Basic", "Digest")}, None, (401, "0001004")),
    "scheme only": ({"auth": "Basic"}, None, (401, "0001004")),
    "malformed base64": ({"auth": "Basic not-base64!"}, None, (401, "0001004")),
    "base64 not padded": ({"auth": basic().rstrip("=") + "x"}, None, (401, "0001004")),
    "non-UTF-8 credentials": (
        {"auth": "Basic " + B64(b"sandbox-operator:\xff\xfe").decode()},
        None,
        (401, "0001004"),
    ),
    "oversize, unauthenticated": (
        {"data": b"x" * (NOTIFY_MAX_BODY_BYTES * 4)},
        None,
        (401, "0001004"),
    ),
    "GET, unauthenticated": ({"method": "get", "data": None}, None, (401, "0001004")),
    "IPv4 outside the allow-list": ({"auth": basic()}, ["10.0.0.0/8"], (403, "0001004")),
    "IPv6 outside a CIDR": (
        {"auth": basic(), "REMOTE_ADDR": "2001:db9::1"},
        ["2001:db8::/32"],
        (403, "0001004"),
    ),
    "IPv4 client, IPv6-only list": ({"auth": basic()}, ["2001:db8::/32"], (403, "0001004")),
    "no usable source address": (
        {"auth": basic(), "REMOTE_ADDR": "unknown"},
        ["127.0.0.1"],
        (403, "0001004"),
    ),
    "forbidden address, bad credentials": (
        {"auth": basic(password="wrong")},
        ["10.0.0.0/8"],
        (403, "0001004"),
    ),
}


@pytest.mark.parametrize("case", REFUSED_UNKEPT, ids=list(REFUSED_UNKEPT))
def test_refused_before_authentication_keeps_nothing(client, call, settings, case):
    kwargs, allowed_ips, expected = REFUSED_UNKEPT[case]
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = allowed_ips or []
    before = snapshot(call)

    response = send(client, **kwargs)

    tried(response)
    assert seed_answer(response) == expected
    if expected[0] == 401:
        assert response["WWW-Authenticate"].startswith("Basic")
    assert snapshot(call) == before
    assert not CallEvent.objects.exists()


@pytest.mark.parametrize(
    ("remote_addr", "allowed"),
    [
        ("10.1.2.3", ["10.0.0.0/8"]),
        ("2001:db8::5", ["2001:db8::/32"]),
        ("2001:db8::5", ["192.0.2.1", "2001:db8::5"]),
        # A dual-stack server reports an IPv4 client as an IPv4-mapped IPv6 address.
        ("::ffff:10.1.2.3", ["10.0.0.0/8"]),
    ],
)
def test_an_allowed_address_is_let_through(client, call, settings, remote_addr, allowed):
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = allowed

    response = send(client, auth=basic(), REMOTE_ADDR=remote_addr)

    tried(response)
    assert seed_answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED


# Authenticated but refused: kept, with why.


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


LATIN_1 = json.dumps({**body("Connected"), "status": "Connected\u00e9"}, ensure_ascii=False)
FOR_OTHERS = {**body("Connected"), "callee": "8613800000002"}

REFUSED_KEPT = {
    # label: (send's kwargs, expected answer, outcome kept)
    "unknown callidentifier": (
        {"url": reverse("operator-status-notify", args=["NOSUCHCALL"])},
        (400, "1001002"),
        CallEvent.Outcome.UNKNOWN_CALL,
    ),
    "callidentifier longer than any call's": (
        {"url": reverse("operator-status-notify", args=["A" * 150])},
        (400, "1001002"),
        CallEvent.Outcome.UNKNOWN_CALL,
    ),
    "callidentifier with a NUL": (
        {"url": reverse("operator-status-notify", args=["A010\x00B020"])},
        (400, "1001002"),
        CallEvent.Outcome.UNKNOWN_CALL,
    ),
    "caller not the call's": (
        {"data": json.dumps({**body("Connected"), "caller": "8613800000001"})},
        (400, "0000002"),
        CallEvent.Outcome.MISMATCH,
    ),
    "callee not the call's": (
        {"data": json.dumps(FOR_OTHERS)},
        (400, "0000002"),
        CallEvent.Outcome.MISMATCH,
    ),
    "caller and callee swapped": (
        {
            "data": json.dumps(
                {**body("Connected"), "caller": body("x")["callee"], "callee": body("x")["caller"]}
            )
        },
        (400, "0000002"),
        CallEvent.Outcome.MISMATCH,
    ),
    "oversize body": (
        {"data": json.dumps({**body("Connected"), "pad": "x" * NOTIFY_MAX_BODY_BYTES})},
        (413, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "Content-Length far over the limit": (
        {"CONTENT_LENGTH": str(10**12)},
        (413, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "Content-Length not a number": (
        {"CONTENT_LENGTH": "lots"},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "Content-Length shorter than the body": (
        {"CONTENT_LENGTH": "10"},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "form-encoded body": (
        {
            "data": "caller=8613912345673&callee=8613810268653&status=Connected",
            "content_type": "application/x-www-form-urlencoded",
        },
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "text body": ({"data": "Connected", "content_type": "text/plain"}, (400, "0000002"), "invalid"),
    "Latin-1 body": ({"data": LATIN_1.encode("latin-1")}, (400, "0000002"), "invalid"),
    "UTF-16 body": ({"data": CONNECTED.encode("utf-16")}, (400, "0000002"), "invalid"),
    "lone surrogate bytes": ({"data": b'{"caller": "\xed\xa0\x80"}'}, (400, "0000002"), "invalid"),
    "NUL byte in the body": (
        {"data": CONNECTED.encode()[:-1] + b', "x": "\x00"}'},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    # Found by the Schemathesis run on PostgreSQL: an escaped NUL in a field once answered 503.
    "escaped NUL in a field": (
        {"data": json.dumps(body("Connected", reason="Hang\u0000Up"))},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "empty body": ({"data": b""}, (400, "0000002"), CallEvent.Outcome.INVALID),
    "whitespace body": ({"data": b" \r\n "}, (400, "0000002"), CallEvent.Outcome.INVALID),
    "JSON array": ({"data": json.dumps([body("Connected")])}, (400, "0000002"), "invalid"),
    "JSON string": ({"data": json.dumps(CONNECTED)}, (400, "0000002"), "invalid"),
    "JSON number": ({"data": b"42"}, (400, "0000002"), CallEvent.Outcome.INVALID),
    "JSON null": ({"data": b"null"}, (400, "0000002"), CallEvent.Outcome.INVALID),
    "JSON nested past recursion": ({"data": _nested(30_000)}, (400, "0000002"), "invalid"),
    "two JSON objects": ({"data": CONNECTED + CONNECTED}, (400, "0000002"), "invalid"),
    "a 5,000-digit callDuration": (
        {"data": CONNECTED[:-1] + ', "callDuration": ' + "9" * 5000 + "}"},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "callDuration of a thousand years": (
        {"data": json.dumps({**DISCONNECTED, "callDuration": 10**12})},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "recordingId longer than the column": (
        {"data": json.dumps({**DISCONNECTED, "recordingId": "9" * 150})},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "timeStamp at the calendar's start, east of UTC": (
        {"data": json.dumps({**body("Connected"), "timeStamp": "0001-01-01T00:00:00+14:00"})},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
    "a call that would have started before the calendar": (
        {"data": json.dumps({**DISCONNECTED, "timeStamp": "0001-01-01T00:00:05Z"})},
        (400, "0000002"),
        CallEvent.Outcome.INVALID,
    ),
}


@pytest.mark.parametrize("case", REFUSED_KEPT, ids=list(REFUSED_KEPT))
def test_authenticated_bad_input_is_kept_and_changes_nothing(client, call, case):
    kwargs, expected, outcome = REFUSED_KEPT[case]
    before = snapshot(call)

    response = send(client, auth=basic(), **kwargs)

    tried(response)
    assert seed_answer(response) == expected
    assert snapshot(call) == before
    event = CallEvent.objects.get()
    assert event.outcome == outcome
    assert event.call in (None, call)


def test_a_long_identifier_is_never_given_to_a_call_awaiting_one(client, member):
    """A call whose begin answer was lost takes the identifier of a notification with its
    numbers; one longer than the column could hold must not be tried (it failed on PostgreSQL)."""
    lost = Call.objects.create(
        member=member, sponsor="+861052680000", caller=CALLER, callee=CALLEE, status="unknown"
    )
    url = reverse("operator-status-notify", args=["L" * 101])

    response = send(client, auth=basic(), url=url)

    tried(response)
    assert seed_answer(response) == (400, "1001002")
    lost.refresh_from_db()
    assert (lost.callidentifier, lost.status) == (None, "unknown")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head"])
def test_other_methods_are_refused_and_keep_nothing(client, call, method):
    before = snapshot(call)

    response = send(client, method=method, auth=basic())

    tried(response)
    assert response.status_code == 405
    if method != "head":
        assert seed_answer(response) == (405, "0000002")
    assert "POST" in response["Allow"]
    assert snapshot(call) == before
    assert not CallEvent.objects.exists()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "text/plain",
        "",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/octet-stream",
    ],
)
def test_a_correct_body_is_applied_whatever_its_content_type(client, call, content_type):
    """The seed defines the body, not the header (calls/notify.py's docstring): a correct
    notification with an odd or missing Content-Type is still the truth about the call."""
    response = send(client, auth=basic(), content_type=content_type)

    tried(response)
    assert seed_answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED
    assert CallEvent.objects.get().outcome == CallEvent.Outcome.APPLIED


def test_a_utf8_bom_is_tolerated(client, call):
    response = send(client, CONNECTED.encode("utf-8-sig"), auth=basic())

    tried(response)
    assert seed_answer(response) == (200, "0000000")


def test_the_read_is_capped_even_without_a_content_length(call):
    """A body with no Content-Length (a server passing a chunked body through, say) is read no
    further than the limit plus one byte."""
    request = RequestFactory().post(
        URL, data=b"", content_type="application/json", HTTP_AUTHORIZATION=basic()
    )
    stream = io.BytesIO(b"{" + b" " * (NOTIFY_MAX_BODY_BYTES * 16))
    request.META["CONTENT_LENGTH"] = ""
    request._stream = stream

    response = StatusNotifyView.as_view()(request, callidentifier=IDENTIFIER)

    record("bad inputs", tried=1, **{"5xx": int(response.status_code >= 500)})
    assert response.status_code == 413
    assert stream.tell() == NOTIFY_MAX_BODY_BYTES + 1
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING


# The database briefly away.


def _raise_operational_error(*args, **kwargs):
    raise OperationalError("the database went away")


def _fail_statements(pattern: str):
    """A fault in the database itself: every statement matching `pattern` fails."""

    def wrapper(execute, sql, params, many, context):
        if re.search(pattern, sql):
            raise OperationalError("the database went away")
        return execute(sql, params, many, context)

    return connection.execute_wrapper(wrapper)


FAULTS = {
    # Where storage fails: keeping the event, closing it (the call already changed in the same
    # transaction), and the debit of the ended call.
    "keeping the notification": ("calls.models.CallEvent.save", DISCONNECTED),
    "closing the event": ("calls.lifecycle.event_close", DISCONNECTED),
    "debiting the minutes": ("calls.lifecycle.usage_record", DISCONNECTED),
    "advancing the call": ("calls.lifecycle.advance", body("Connected")),
    # The statement that moves the call, on either path (calls.services.progress's included).
    "updating the call's row": ('sql:UPDATE "?calls_call"? ', body("Connected")),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_notification_not_kept_is_never_acknowledged_and_applies_once_when_sent_again(
    client, call, monkeypatch, fault
):
    target, notification = FAULTS[fault]
    data = json.dumps(notification)
    before = snapshot(call)
    if target.startswith("sql:"):
        with _fail_statements(target.removeprefix("sql:")):
            response = send(client, data, auth=basic())
    else:
        # The one-statement path (PostgreSQL's) calls none of these functions: off, so that
        # the fault is met where it is injected.
        monkeypatch.setattr("calls.services.notifications.progress_applied", lambda **kw: None)
        monkeypatch.setattr(target, _raise_operational_error)
        response = send(client, data, auth=basic())

    assert seed_answer(response) == (503, "0000001")
    assert int(response["Retry-After"]) > 0
    assert snapshot(call) == before
    assert not CallEvent.objects.exclude(outcome=CallEvent.Outcome.RECEIVED).exists()

    monkeypatch.undo()
    for _ in range(2):  # the operator's retry, and a duplicate of it
        assert seed_answer(send(client, data, auth=basic())) == (200, "0000000")

    call.refresh_from_db()
    outcomes = list(call.events.values_list("outcome", flat=True))
    assert outcomes == [CallEvent.Outcome.APPLIED, CallEvent.Outcome.DUPLICATE]
    if notification is DISCONNECTED:
        assert (call.status, call.duration_seconds, call.billed_minutes) == ("ended", 125, 3)
        assert UsageEntry.objects.filter(call=call).count() == 1
    else:
        assert call.status == Call.Status.CONNECTED
    record("operator faults", injected=1, survived=1)


def test_an_unexpected_error_is_answered_in_the_seed_format(client, call, monkeypatch):
    monkeypatch.setattr("calls.notify.notification_receive", lambda **kw: 1 / 0)

    response = send(client, auth=basic())

    assert seed_answer(response) == (500, "0000001")
    record("operator faults", injected=1, survived=1)


# Production safety.


@pytest.mark.parametrize(
    ("debug", "password", "fails"),
    [
        (False, "", True),
        (False, checks.SANDBOX_NOTIFY_PASSWORD, True),
        (False, "a-real-secret-from-the-operator", False),
        (True, checks.SANDBOX_NOTIFY_PASSWORD, False),
    ],
)
def test_check_deploy_refuses_missing_or_sandbox_notify_credentials(
    settings, debug, password, fails
):
    settings.DEBUG = debug
    settings.OPERATOR_NOTIFY_PASSWORD = password

    deploy = {e.id for e in run_checks(tags=[Tags.security], include_deployment_checks=True)}
    plain = {e.id for e in run_checks(tags=[Tags.security])}

    assert ("calls.E001" in deploy) is fails
    # `make run` (DEBUG off, sandbox password) runs the plain checks: never stopped by this one.
    assert "calls.E001" not in plain


def test_a_malformed_allow_list_entry_is_a_check_error(settings):
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["10.0.0.0/8", "10.0.0.300"]

    assert [e.id for e in checks.notify_allowed_ips_check(None)] == ["calls.E002"]


# The schema.


def test_the_endpoint_is_in_the_openapi_schema(client):
    response = client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/clicktodial/v1/clicktodialstatusnotify/{callidentifier}"]["post"]
    assert operation["security"] == [{"operatorBasic": []}]
    assert schema["components"]["securitySchemes"]["operatorBasic"] == {
        "type": "http",
        "scheme": "basic",
        "description": "The operator's credentials for status notifications.",
    }
    assert {"200", "400", "401", "403", "413", "503"} <= set(operation["responses"])
    fields = schema["components"]["schemas"]["OperatorStatusNotificationRequest"]["properties"]
    assert set(fields) == {
        "caller",
        "callee",
        "status",
        "reason",
        "recordingResult",
        "recordingId",
        "callDuration",
        "timeStamp",
    }
