"""Recording downloads over HTTP: streamed into the destination as the body arrives, with memory
that does not grow with the recording, and the record flag on begin."""

from __future__ import annotations

import base64
import io
import json
import os
import tracemalloc
from typing import Any

import pytest

from operator_api import OperatorError, SeedV1Operator

Stub = Any


def download(operator: SeedV1Operator, destination=None) -> tuple[int, bytes]:
    destination = destination or io.BytesIO()
    written = operator.recording_download(
        callidentifier="A010B020", recording_id="r1", destination=destination
    )
    return written, destination.getvalue()


def test_filedata_inside_result_is_accepted(stub: Stub, operator: SeedV1Operator) -> None:
    audio = os.urandom(10_000)
    stub.script(
        "/recordingdownload/A010B020",
        body={"code": "0000000", "result": {"filedata": base64.b64encode(audio).decode()}},
    )

    assert download(operator) == (len(audio), audio)


def test_empty_filedata_is_a_retryable_error(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script("/recordingdownload/A010B020", body={"code": "0000000", "filedata": ""})

    with pytest.raises(OperatorError, match="sent no recording") as excinfo:
        download(operator)

    assert excinfo.value.permanent is False
    assert excinfo.value.description == "empty filedata in the download answer"


def test_a_body_cut_off_mid_recording_is_a_retryable_error(
    stub: Stub, operator: SeedV1Operator
) -> None:
    body = json.dumps({"code": "0000000", "filedata": base64.b64encode(b"x" * 3000).decode()})
    stub.script("/recordingdownload/A010B020", body=body[:1000].encode())

    with pytest.raises(OperatorError, match="could not be read") as excinfo:
        download(operator)

    assert excinfo.value.permanent is False


def test_a_refused_token_is_renewed_before_any_audio_is_written(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script(
        "/recordingdownload/A010B020",
        status=401,
        body={"code": "0001004", "description": "Authentication Failure"},
    )
    stub.recordings["r1"] = b"audio"

    assert download(operator) == (5, b"audio")
    assert len(stub.received("/recordingdownload/A010B020")) == 2


def test_memory_does_not_grow_with_the_recording(stub: Stub, operator: SeedV1Operator) -> None:
    audio = os.urandom(24 * 1024 * 1024)
    body = json.dumps({"code": "0000000", "filedata": base64.b64encode(audio).decode()}).encode()
    stub.script("/recordingdownload/A010B020", body=body)

    class Discard:
        written = 0

        def write(self, data: bytes) -> int:
            self.written += len(data)
            return len(data)

    destination = Discard()
    tracemalloc.start()
    try:
        written = operator.recording_download(
            callidentifier="A010B020", recording_id="r1", destination=destination
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert written == destination.written == len(audio)
    # The body is 32 MB; the naive way (read, json(), b64decode) peaks at about four times that.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize(("record", "sent"), [(True, 1), (False, 0), (None, None)])
def test_begin_sends_the_record_flag_when_asked(
    stub: Stub, operator: SeedV1Operator, record: bool | None, sent: int | None
) -> None:
    operator.begin(
        sponsor="+861052680000", caller="+8613912345673", callee="+8613810268653", record=record
    )

    [request] = stub.received("/clicktodialbegin")
    assert request.json().get("record") == sent


def test_the_record_field_name_is_configurable_or_never_sent(stub: Stub, make_operator) -> None:
    numbers = {"sponsor": "+861052680000", "caller": "+8613912345673", "callee": "+8613810268653"}
    make_operator(record_field="isRecord").begin(**numbers, record=True)
    make_operator(record_field="").begin(**numbers, record=True)

    first, second = stub.received("/clicktodialbegin")
    assert first.json()["isRecord"] == 1
    assert "record" not in second.json() and "isRecord" not in second.json()
