"""The sandbox's recording scenarios: the record flag from the begin body, a download that fails
twice then succeeds, corrupt filedata, filedata inside result, and the bytes it keeps for tests."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sandbox import SandboxOperator

SPONSOR, CALLER = "861052680000", "8613912345673"


def disconnected(operator: SandboxOperator, callidentifier: str) -> dict[str, Any]:
    assert operator.wait_for_call_end(callidentifier, timeout=5)
    return [n.body for n in operator.notifications if n.callidentifier == callidentifier][-1]


def begin(api: Any, callee: str, **extra: Any) -> str:
    response = api.post(
        "/clicktodialbegin", {"sponsor": SPONSOR, "caller": CALLER, "callee": callee, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()["result"]["callidentifier"]


def download(api: Any, callidentifier: str, recording_id: str):
    return api.post(f"/recordingdownload/{callidentifier}", {"recordingId": recording_id})


@pytest.mark.parametrize(("record", "recorded"), [(0, False), ("0", False), (1, True), ("1", True)])
def test_the_record_flag_turns_recording_off_or_on(
    operator: SandboxOperator, api: Any, record: Any, recorded: bool
) -> None:
    body = disconnected(operator, begin(api, "+8613800000001", record=record))

    assert ("recordingResult" in body, "recordingId" in body) == (recorded, recorded)


def test_an_unknown_record_value_is_invalid_input(api: Any) -> None:
    response = api.post(
        "/clicktodialbegin",
        {"sponsor": SPONSOR, "caller": CALLER, "callee": "+8613800000001", "record": "yes"},
    )

    assert (response.status_code, response.json()["code"]) == (400, "0000002")


def test_the_flaky_download_fails_twice_then_sends_what_it_keeps(
    operator: SandboxOperator, api: Any
) -> None:
    callidentifier = begin(api, "+8613800000013")
    recording_id = disconnected(operator, callidentifier)["recordingId"]

    answers = [download(api, callidentifier, recording_id) for _ in range(3)]

    assert [a.status_code for a in answers] == [500, 500, 200]
    assert answers[0].json()["code"] == "0000001"
    sent = base64.b64decode(answers[2].json()["filedata"])
    assert sent == operator.recordings[recording_id]
    assert sent.startswith(b"RIFF")


def test_corrupt_filedata_is_not_base64(operator: SandboxOperator, api: Any) -> None:
    callidentifier = begin(api, "+8613800000014")
    recording_id = disconnected(operator, callidentifier)["recordingId"]

    body = download(api, callidentifier, recording_id).json()

    assert body["code"] == "0000000"
    with pytest.raises(ValueError):
        base64.b64decode(body["filedata"], validate=True)


def test_filedata_inside_result(operator: SandboxOperator, api: Any) -> None:
    callidentifier = begin(api, "+8613800000015")
    recording_id = disconnected(operator, callidentifier)["recordingId"]

    body = download(api, callidentifier, recording_id).json()

    assert "filedata" not in body
    assert base64.b64decode(body["result"]["filedata"]) == operator.recordings[recording_id]
