"""The sandbox operator speaks the seed's Click to Dial v1 API the way the portal will meet it.

These run a real SandboxOperator on a free port, 100 times faster than real time, against a stub
portal; no Django. Fixtures are in this directory's conftest.py.
"""

from __future__ import annotations

import base64
import io
import re
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox import SandboxConfig, SandboxOperator
from sandbox.scenarios import SCENARIOS

NOTIFY_BASIC = "Basic " + base64.b64encode(b"sandbox-operator:sandbox-notify-secret").decode()
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def statuses(operator: SandboxOperator, callidentifier: str) -> list[str]:
    return [n.body["status"] for n in operator.notifications if n.callidentifier == callidentifier]


def final(operator: SandboxOperator, callidentifier: str) -> dict[str, Any]:
    sent = [n for n in operator.notifications if n.callidentifier == callidentifier]
    assert sent[-1].body["status"] == "Disconnected"
    return sent[-1].body


def error_of(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"code", "description"}
    return response.status_code, body["code"], body["description"]


# -- OAuth2 --------------------------------------------------------------------------------------


def test_token_with_credentials_in_the_form(operator: SandboxOperator) -> None:
    response = requests.post(
        operator.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
        timeout=5,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32


def test_token_with_http_basic(operator: SandboxOperator) -> None:
    response = requests.post(
        operator.token_url,
        data={"grant_type": "client_credentials"},
        auth=("sandbox-client", "sandbox-secret"),
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"grant_type": "client_credentials"}, "auth": ("sandbox-client", "wrong")},
        {"data": {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}},
        {"data": {"grant_type": "client_credentials"}},
        {"data": {"grant_type": "client_credentials"}, "headers": {"Authorization": "Basic !!"}},
    ],
    ids=["basic-wrong-secret", "form-unknown-client", "no-credentials", "garbled-basic"],
)
def test_token_refuses_bad_client(operator: SandboxOperator, kwargs: dict[str, Any]) -> None:
    response = requests.post(operator.token_url, **kwargs, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_token_refuses_other_grants(operator: SandboxOperator) -> None:
    response = requests.post(
        operator.token_url,
        data={"grant_type": "password"},
        auth=("sandbox-client", "sandbox-secret"),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


def test_api_requires_a_live_bearer_token(operator: SandboxOperator, api: Any) -> None:
    auth_failure = (401, "0001004", "Authentication Failure")
    assert error_of(api.post("/clicktodialbegin", {}, token="")) == auth_failure
    assert error_of(api.post("/clicktodialbegin", {}, token="made-up")) == auth_failure

    token = api.token()
    assert api.post("/clicktodialrelease/NOPE", {"operation": "EndCall"}, token=token).json() == {
        "code": "1001002",
        "description": "Call ID Error",
    }
    operator.revoke_tokens()
    assert error_of(api.post("/clicktodialbegin", {}, token=token)) == auth_failure
    assert (
        api.post("/clicktodialbegin", {}, token=api.token()).status_code == 400
    )  # a new one works


def test_tokens_expire(make_operator: Callable[..., SandboxOperator]) -> None:
    operator = make_operator(token_ttl=1)
    token = requests.post(
        operator.token_url,
        data={"grant_type": "client_credentials"},
        auth=("sandbox-client", "sandbox-secret"),
        timeout=5,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = operator.base_url + "/clicktodialrelease/NOPE"
    release = {"operation": "EndCall"}
    assert requests.post(url, json=release, headers=headers, timeout=5).status_code == 400
    time.sleep(1.05)
    assert requests.post(url, json=release, headers=headers, timeout=5).status_code == 401


# -- calls and their notifications ---------------------------------------------------------------


def test_normal_call_notifies_four_statuses_in_order(
    operator: SandboxOperator, api: Any, portal: Any
) -> None:
    begin = api.begin("+8613800000001")
    assert begin.status_code == 200
    body = begin.json()
    assert body["code"] == "0000000" and body["description"] == "Success"
    callidentifier = body["result"]["callidentifier"]
    assert re.fullmatch(r"[0-9A-F]{16}", callidentifier)

    assert operator.wait_for_call_end(callidentifier, timeout=5)
    received = portal.for_call(callidentifier)
    assert [r.body["status"] for r in received] == [
        "CallingCaller",
        "CallingCallee",
        "Connected",
        "Disconnected",
    ]
    for r in received:
        assert r.path == f"/clicktodial/v1/clicktodialstatusnotify/{callidentifier}"
        assert r.headers["Authorization"] == NOTIFY_BASIC
        assert r.body["caller"] == "8613912345673" and r.body["callee"] == "+8613800000001"
        assert TIMESTAMP.fullmatch(r.body["timeStamp"])
    assert set(received[0].body) == {"caller", "callee", "status", "timeStamp"}
    end = received[-1].body
    assert end["reason"] == "HangUp"
    assert end["callDuration"] == 20
    assert end["recordingResult"] == "Success"
    assert re.fullmatch(r"\d{18}", end["recordingId"])

    assert [n.status_code for n in operator.notifications] == [200] * 4
    assert operator.notifications[-1].response_body is not None
    call = operator.calls[callidentifier]
    assert (call.state, call.recording_id) == ("Disconnected", end["recordingId"])


def test_every_nth_notification_is_sent_twice_and_each_answer_timed(
    make_operator: Callable[..., SandboxOperator],
    api_for: Callable[[SandboxOperator], Any],
    portal: Any,
) -> None:
    """The benchmark's operator: one notification in `duplicate_every` sent again, as an operator
    that missed the answer; each delivery with how long the portal took to answer."""
    operator = make_operator(duplicate_every=2)
    callidentifier = api_for(operator).begin("+8613800000001").json()["result"]["callidentifier"]

    assert operator.wait_for_call_end(callidentifier, timeout=5)
    statuses = [r.body["status"] for r in portal.for_call(callidentifier)]
    assert statuses == [
        "CallingCaller",
        "CallingCallee",
        "CallingCallee",
        "Connected",
        "Disconnected",
        "Disconnected",
    ]
    assert all(n.elapsed_ms is not None and n.elapsed_ms >= 0 for n in operator.notifications)


@pytest.mark.parametrize(
    ("callee", "expected_statuses", "reason", "recording"),
    [
        ("+8613800000002", ["CallingCaller", "CallingCallee"], "CalleeBusy", "NoRecord"),
        ("+8613800000003", ["CallingCaller", "CallingCallee"], "CalleeNoAnswer", "NoRecord"),
        ("+8613800000004", ["CallingCaller"], "CallerNoAnswer", "NoRecord"),
        ("+8613800000005", ["CallingCaller", "CallingCallee"], "CallerAbandon", "NoRecord"),
        ("13800000002", ["CallingCaller", "CallingCallee"], "CalleeBusy", "NoRecord"),
        ("8613800000002", ["CallingCaller", "CallingCallee"], "CalleeBusy", "NoRecord"),
    ],
    ids=["busy", "callee-no-answer", "caller-no-answer", "abandon", "national", "digits"],
)
def test_calls_that_never_connect(
    operator: SandboxOperator,
    api: Any,
    callee: str,
    expected_statuses: list[str],
    reason: str,
    recording: str,
) -> None:
    callidentifier = api.place(callee)
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    assert statuses(operator, callidentifier) == [*expected_statuses, "Disconnected"]
    end = final(operator, callidentifier)
    assert (end["reason"], end["callDuration"], end["recordingResult"]) == (reason, 0, recording)
    assert "recordingId" not in end


def test_recording_failure_reports_fail_without_an_id(operator: SandboxOperator, api: Any) -> None:
    callidentifier = api.place("+8613800000007")
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    end = final(operator, callidentifier)
    assert (end["reason"], end["callDuration"], end["recordingResult"]) == ("HangUp", 20, "Fail")
    assert "recordingId" not in end
    download = api.post(f"/recordingdownload/{callidentifier}", {"recordingId": "20260101000000"})
    assert error_of(download) == (400, "0000002", "Invalid Input Value")


def test_long_call_ends_on_release_with_its_duration(
    operator: SandboxOperator, api: Any, wait: Callable[..., bool]
) -> None:
    callidentifier = api.place("+8613800000006")
    assert wait(lambda: "Connected" in statuses(operator, callidentifier))
    time.sleep(0.1)  # 10 nominal seconds of talk
    assert api.post(f"/clicktodialrelease/{callidentifier}", {"operation": "Continue"}).json() == {
        "code": "0000000",
        "description": "Success",
    }
    assert operator.calls[callidentifier].state == "Connected"

    release = api.post(f"/clicktodialrelease/{callidentifier}", {"operation": "EndCall"})
    assert release.status_code == 200
    assert release.json() == {"code": "0000000", "description": "Success"}
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    assert statuses(operator, callidentifier) == [
        "CallingCaller",
        "CallingCallee",
        "Connected",
        "Disconnected",
    ]
    end = final(operator, callidentifier)
    assert end["reason"] == "HangUp" and end["recordingResult"] == "Success"
    assert 8 <= end["callDuration"] <= 30

    again = api.post(f"/clicktodialrelease/{callidentifier}", {"operation": "EndCall"})
    assert error_of(again) == (400, "1001003", "Operation Error")


def test_release_while_ringing_never_connects(operator: SandboxOperator, api: Any) -> None:
    callidentifier = api.place("+8613800000003")  # 15 nominal seconds of ringing
    assert api.post(f"/clicktodialrelease/{callidentifier}", {"operation": "EndCall"}).ok
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    end = final(operator, callidentifier)
    assert (end["reason"], end["callDuration"], end["recordingResult"]) == ("HangUp", 0, "NoRecord")
    time.sleep(0.2)  # the cancelled CalleeNoAnswer must never follow
    assert statuses(operator, callidentifier).count("Disconnected") == 1


def test_release_errors(operator: SandboxOperator, api: Any) -> None:
    unknown = api.post("/clicktodialrelease/0123456789ABCDEF", {"operation": "EndCall"})
    assert error_of(unknown) == (400, "1001002", "Call ID Error")

    callidentifier = api.place("+8613800000002")
    bad_operation = api.post(f"/clicktodialrelease/{callidentifier}", {"operation": "Hold"})
    assert error_of(bad_operation) == (400, "0000002", "Invalid Input Value")
    missing = api.post(f"/clicktodialrelease/{callidentifier}", {})
    assert error_of(missing) == (400, "0000002", "Invalid Input Value")

    assert operator.wait_for_call_end(callidentifier, timeout=5)
    ended = api.post(f"/clicktodialrelease/{callidentifier}", {"operation": "EndCall"})
    assert error_of(ended) == (400, "1001003", "Operation Error")


def test_failed_notification_is_recorded(make_operator: Callable[..., SandboxOperator]) -> None:
    operator = make_operator(notify_url="http://127.0.0.1:9/notify/{callidentifier}")
    with requests.Session() as http:
        token = http.post(
            operator.token_url,
            data={"grant_type": "client_credentials"},
            auth=("sandbox-client", "sandbox-secret"),
            timeout=5,
        ).json()["access_token"]
        response = http.post(
            operator.base_url + "/clicktodialbegin",
            json={"sponsor": "01052680000", "caller": "8613912345673", "callee": "+8613800000002"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
    callidentifier = response.json()["result"]["callidentifier"]
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    assert len(operator.notifications) == 3
    for sent in operator.notifications:
        assert sent.status_code is None and sent.response_body is None
        assert sent.error
        assert sent.url == f"http://127.0.0.1:9/notify/{callidentifier}"


# -- recordings ----------------------------------------------------------------------------------


def test_recording_download_is_a_playable_wav(operator: SandboxOperator, api: Any) -> None:
    first, second = api.place("+8613800000001"), api.place("+8613912340000")
    assert operator.wait_for_call_end(first, timeout=5)
    assert operator.wait_for_call_end(second, timeout=5)
    audio = []
    for callidentifier in (first, second):
        recording_id = final(operator, callidentifier)["recordingId"]
        response = api.post(f"/recordingdownload/{callidentifier}", {"recordingId": recording_id})
        assert response.status_code == 200
        body = response.json()
        assert (body["code"], body["description"]) == ("0000000", "Success")
        data = base64.b64decode(body["filedata"], validate=True)
        with wave.open(io.BytesIO(data)) as wav:
            assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
            assert wav.getnframes() == 20 * 8000
            frames = wav.readframes(8000)
        assert max(frames) > 0  # not silence
        audio.append(frames)
    assert audio[0] != audio[1]  # each call sounds different


def test_recording_download_errors(operator: SandboxOperator, api: Any) -> None:
    unknown = api.post("/recordingdownload/0123456789ABCDEF", {"recordingId": "1"})
    assert error_of(unknown) == (400, "1001002", "Call ID Error")

    callidentifier = api.place("+8613800000001")
    early = api.post(f"/recordingdownload/{callidentifier}", {"recordingId": "1"})
    assert error_of(early) == (400, "0000002", "Invalid Input Value")  # no recording yet
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    wrong = api.post(f"/recordingdownload/{callidentifier}", {"recordingId": "20260101000000"})
    assert error_of(wrong) == (400, "0000002", "Invalid Input Value")
    missing = api.post(f"/recordingdownload/{callidentifier}", {})
    assert error_of(missing) == (400, "0000002", "Invalid Input Value")

    busy = api.place("+8613800000002")
    assert operator.wait_for_call_end(busy, timeout=5)
    no_record = api.post(f"/recordingdownload/{busy}", {"recordingId": "20260101000000"})
    assert error_of(no_record) == (400, "0000002", "Invalid Input Value")


# -- refusals and lost answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("callee", "expected"),
    [
        ("+8613800000008", (400, "0001008", "User In Blacklist")),
        ("+8613800000009", (500, "0000001", "Internal Service Error")),
        ("+8613800000010", (503, "0000001", "Service Unavailable")),
        ("+8613800000012", (403, "0001002", "Traffic Control Failure")),
    ],
    ids=["blacklist", "internal-error", "unavailable", "traffic-control"],
)
def test_begin_refusals_place_no_call(
    operator: SandboxOperator, api: Any, callee: str, expected: tuple[int, str, str]
) -> None:
    assert error_of(api.begin(callee)) == expected
    assert operator.calls == {}
    time.sleep(0.05)
    assert operator.notifications == []


def test_slow_begin_places_the_call_but_answers_late(
    operator: SandboxOperator, api: Any, portal: Any
) -> None:
    token = api.token()
    begin = {"sponsor": "01052680000", "caller": "8613912345673", "callee": "+8613800000011"}
    headers = {"Authorization": f"Bearer {token}"}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            operator.base_url + "/clicktodialbegin", json=begin, headers=headers, timeout=0.1
        )
    assert len(operator.calls) == 1
    (callidentifier,) = operator.calls
    assert operator.wait_for_call_end(callidentifier, timeout=5)  # the call went on regardless
    assert len(portal.for_call(callidentifier)) == 4

    started = time.monotonic()
    patient = requests.post(
        operator.base_url + "/clicktodialbegin", json=begin, headers=headers, timeout=5
    )
    assert patient.status_code == 200
    assert time.monotonic() - started >= 0.3  # the configured begin_delay_slow
    assert patient.json()["result"]["callidentifier"] in operator.calls


# -- malformed requests --------------------------------------------------------------------------


ERRORS = {
    "0000002": (400, "0000002", "Invalid Input Value"),
    "1001001": (400, "1001001", "Number Format Error"),
    "1001004": (400, "1001004", "Direction Error"),
}
GOOD = {"sponsor": "01052680000", "caller": "8613912345673", "callee": "+8613800000001"}


@pytest.mark.parametrize(
    ("request_kwargs", "code"),
    [
        pytest.param({"data": b"not json"}, "0000002", id="not-json"),
        pytest.param({"json": ["a", "list"]}, "0000002", id="not-an-object"),
        pytest.param({"json": {**GOOD, "callee": None}}, "0000002", id="null-callee"),
        pytest.param(
            {"json": {k: v for k, v in GOOD.items() if k != "callee"}}, "0000002", id="no-callee"
        ),
        pytest.param({"json": {**GOOD, "sponsor": " "}}, "0000002", id="empty-sponsor"),
        pytest.param({"json": {**GOOD, "sponsor": 1052680000}}, "0000002", id="not-a-string"),
        pytest.param({"json": {**GOOD, "caller": "86139abc"}}, "1001001", id="letters"),
        pytest.param({"json": {**GOOD, "caller": "1234"}}, "1001001", id="too-short"),
        pytest.param({"json": {**GOOD, "callee": "+" + "1" * 16}}, "1001001", id="too-long"),
        pytest.param({"json": {**GOOD, "sponsor": "010 5268"}}, "1001001", id="space"),
        pytest.param({"json": {**GOOD, "callee": GOOD["caller"]}}, "1001004", id="same-number"),
        pytest.param({"json": {**GOOD, "callee": "+8613912345673"}}, "1001004", id="same-as-e164"),
    ],
)
def test_begin_rejects_bad_input(api: Any, request_kwargs: dict[str, Any], code: str) -> None:
    response = api.http.post(
        api.operator.base_url + "/clicktodialbegin",
        headers={"Authorization": f"Bearer {api.token()}"},
        timeout=5,
        **request_kwargs,
    )
    assert error_of(response) == ERRORS[code]
    assert api.operator.calls == {}


def test_unknown_path_is_404(api: Any) -> None:
    assert error_of(api.post("/clicktodialpause", {})) == (404, "0000002", "Invalid Input Value")
    assert api.http.get(api.operator.origin + "/nothing", timeout=5).status_code == 404


def test_every_request_is_recorded(operator: SandboxOperator, api: Any) -> None:
    api.begin("+8613800000008")
    token_request, begin_request = operator.requests
    assert (token_request.method, token_request.path) == ("POST", "/oauth2/token")
    assert (begin_request.method, begin_request.path) == (
        "POST",
        "/clicktodial/v1/clicktodialbegin",
    )
    assert begin_request.body == {
        "sponsor": "01052680000",
        "caller": "8613912345673",
        "callee": "+8613800000008",
    }
    assert begin_request.headers["Authorization"].startswith("Bearer ")


# -- configuration and documentation -------------------------------------------------------------


def test_config_from_environment() -> None:
    config = SandboxConfig.from_env(
        {
            "SANDBOX_PORT": "9100",
            "OPERATOR_CLIENT_ID": "id",
            "PORTAL_BASE_URL": "http://portal.test:8000/",
            "SANDBOX_TIME_SCALE": "0.5",
        }
    )
    assert (config.host, config.port, config.client_id) == ("127.0.0.1", 9100, "id")
    assert config.client_secret == "sandbox-secret"
    assert config.notify_url == (
        "http://portal.test:8000/clicktodial/v1/clicktodialstatusnotify/{callidentifier}"
    )
    assert config.time_scale == 0.5
    assert SandboxConfig.from_env({}).port == 8100


def test_readme_documents_every_magic_number() -> None:
    readme = (Path(__file__).parents[2] / "sandbox" / "README.md").read_text()
    for digits in SCENARIOS:
        assert f"+86{digits}" in readme
