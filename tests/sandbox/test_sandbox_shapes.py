"""The scenarios that send what other operators send: error codes in ``status``, a 503 Engine
Timeout for a call that is placed all the same, Chinese descriptions, loosely written
notifications, chunked notifications, the three recording placements and a reused identifier."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox import SandboxOperator

WITHOUT_MILLISECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00")


def sent_bodies(operator: SandboxOperator, callidentifier: str) -> list[dict[str, Any]]:
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    return [n.body for n in operator.notifications if n.callidentifier == callidentifier]


# -- error answers -------------------------------------------------------------------------------


def test_an_error_with_its_code_in_status(operator: SandboxOperator, api: Any) -> None:
    response = api.begin("+8613800000016")

    assert response.status_code == 400
    assert response.json() == {"status": "0001001", "description": "User Not Exist"}
    assert operator.calls == {}


def test_an_error_described_in_chinese(operator: SandboxOperator, api: Any) -> None:
    response = api.begin("+8613800000018")

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"code": "0001002", "description": "用户状态错误"}
    assert operator.calls == {}


def test_engine_timeout_is_answered_but_the_call_is_placed(
    operator: SandboxOperator, api: Any, portal: Any
) -> None:
    response = api.begin("+8613800000017")

    assert response.status_code == 503
    assert response.json() == {"code": "1000001", "description": "Engine Timeout"}
    (callidentifier,) = operator.calls  # the answer said nothing of it, yet it rings
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    assert [r.body["status"] for r in portal.for_call(callidentifier)] == [
        "CallingCaller",
        "CallingCallee",
        "Connected",
        "Disconnected",
    ]


# -- loosely written notifications ---------------------------------------------------------------


def test_duration_as_text_and_timestamps_without_milliseconds(
    operator: SandboxOperator, api: Any
) -> None:
    bodies = sent_bodies(operator, api.place("+8613800000019"))

    assert bodies[-1]["callDuration"] == "20"
    assert all(WITHOUT_MILLISECONDS.fullmatch(body["timeStamp"]) for body in bodies)


def test_duration_as_float_and_timestamps_in_beijing_time(
    operator: SandboxOperator, api: Any
) -> None:
    bodies = sent_bodies(operator, api.place("+8613800000020"))

    duration = bodies[-1]["callDuration"]
    assert isinstance(duration, float) and duration == 20.0
    for body in bodies:
        assert WITH_OFFSET.fullmatch(body["timeStamp"])
        moment = datetime.fromisoformat(body["timeStamp"])
        assert abs(moment - datetime.now(UTC)) < timedelta(minutes=1)  # local time, same moment


def test_duration_as_decimal_text(operator: SandboxOperator, api: Any) -> None:
    bodies = sent_bodies(operator, api.place("+8613800000025"))

    assert bodies[-1]["callDuration"] == "20.0"


def test_a_reason_outside_the_seed_and_an_extra_field(operator: SandboxOperator, api: Any) -> None:
    bodies = sent_bodies(operator, api.place("+8613800000021"))

    end = bodies[-1]
    assert (end["reason"], end["callDuration"], end["recordingResult"]) == (
        "NetworkCongestion",
        20,
        "Success",
    )
    assert all(body["traceId"] == "sandbox-trace" for body in bodies)


def test_camara_events_keep_their_own_shape(
    operator: SandboxOperator, api: Any, portal: Any, wait: Callable[..., bool]
) -> None:
    response = api.http.post(
        operator.camara_base_url + "/calls",
        json={
            "caller": {"number": "+8613912345673"},
            "callee": {"number": "+8613800000020"},  # v1's float duration, Beijing time
            "sink": portal.url + "/events",
            "sinkCredential": {"credentialType": "ACCESSTOKEN", "accessToken": "t"},
        },
        headers={"Authorization": f"Bearer {api.token()}"},
        timeout=5,
    )
    assert response.status_code == 201
    assert operator.wait_for_call_end(response.json()["callId"], timeout=5)
    assert wait(lambda: len(portal.received) == 5)

    end = portal.received[-1].body
    assert end["data"]["callDuration"] == "20"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", end["time"])


def test_chunked_notifications(operator: SandboxOperator, api: Any, portal: Any) -> None:
    callidentifier = api.place("+8613800000022")
    assert operator.wait_for_call_end(callidentifier, timeout=5)

    received = portal.for_call(callidentifier)
    assert [r.body["status"] for r in received][-1] == "Disconnected"
    assert len(received) == 4
    for request in received:
        assert request.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in request.headers
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Authorization"].startswith("Basic ")
    assert [n.status_code for n in operator.notifications] == [200] * 4


# -- recordings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("callee", "filedata_of"),
    [
        ("+8613800000001", lambda body: body["filedata"]),
        ("+8613800000015", lambda body: body["result"]["filedata"]),
        ("+8613800000023", lambda body: body["result"]),
    ],
    ids=["filedata", "result.filedata", "result"],
)
def test_the_three_recording_placements(
    operator: SandboxOperator,
    api: Any,
    callee: str,
    filedata_of: Callable[[dict[str, Any]], str],
) -> None:
    callidentifier = api.place(callee)
    recording_id = sent_bodies(operator, callidentifier)[-1]["recordingId"]

    response = api.post(f"/recordingdownload/{callidentifier}", {"recordingId": recording_id})

    body = response.json()
    assert (response.status_code, body["code"], body["description"]) == (200, "0000000", "Success")
    audio = base64.b64decode(filedata_of(body), validate=True)
    assert audio.startswith(b"RIFF") and audio == operator.recordings[recording_id]


# -- a reused callidentifier ---------------------------------------------------------------------


def test_an_identifier_is_handed_out_again_once_its_call_is_over(
    operator: SandboxOperator, api: Any, portal: Any
) -> None:
    earlier = api.place("+8613800000002")  # busy: over in a moment
    assert operator.wait_for_call_end(earlier, timeout=5)

    again = api.place("+8613800000024")

    assert again == earlier
    assert operator.calls[again].callee == "+8613800000024"  # the new call replaced the old
    assert operator.wait_for_call_end(again, timeout=5)
    statuses = [r.body["status"] for r in portal.for_call(again)]
    assert statuses == [
        *("CallingCaller", "CallingCallee", "Disconnected"),  # the earlier call
        *("CallingCaller", "CallingCallee", "Connected", "Disconnected"),
    ]


def test_a_live_call_s_identifier_is_never_handed_out(
    operator: SandboxOperator, api: Any, wait: Callable[..., bool]
) -> None:
    live = api.place("+8613800000006")  # talks until released
    first = api.place("+8613800000024")  # nothing is over yet: a fresh identifier

    assert first != live
    assert wait(lambda: operator.calls[first].is_over)
    assert api.place("+8613800000024") == first  # the latest call that is over
    assert operator.calls[live].state != "Disconnected"


def test_camara_engine_timeout_is_a_504_and_the_call_is_placed(
    operator: SandboxOperator, api: Any
) -> None:
    response = api.http.post(
        operator.camara_base_url + "/calls",
        json={"caller": {"number": "+8613912345673"}, "callee": {"number": "+8613800000017"}},
        headers={"Authorization": f"Bearer {api.token()}"},
        timeout=5,
    )

    assert (response.status_code, response.json()["code"]) == (504, "TIMEOUT")
    assert len(operator.calls) == 1
