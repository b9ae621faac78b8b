"""Recording downloads over HTTP: each shape of answer the seed's documents show, streamed into the
destination as the body arrives, with memory that does not grow with the recording; and the
record flag on begin."""

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


def answer(shape: str, encoded: str) -> dict[str, Any]:
    """A success answer holding the recording where ``shape`` says."""
    body: dict[str, Any] = {"code": "0000000", "description": "Success"}
    if shape == "filedata":  # the seed's markdown
        return {**body, "filedata": encoded}
    if shape == "result.filedata":
        return {**body, "result": {"recordingId": "r1", "filedata": encoded}}
    return {**body, "result": encoded}  # the seed's OpenAPI: the base64 is the result


SHAPES = ["filedata", "result.filedata", "result"]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_of_answer_is_decoded(stub: Stub, operator: SeedV1Operator, shape: str) -> None:
    audio = os.urandom(700_001)  # several decode slices, and padding at the end
    stub.script("/recordingdownload/A010B020", body=answer(shape, base64.b64encode(audio).decode()))

    assert download(operator) == (len(audio), audio)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_written_as_it_arrives(
    stub: Stub, operator: SeedV1Operator, shape: str
) -> None:
    """The body stops half-way (the connection then dropped): what came is already decoded."""
    audio = os.urandom(3 * 1024 * 1024)
    body = json.dumps(answer(shape, base64.b64encode(audio).decode())).encode()
    stub.script("/recordingdownload/A010B020", body=body, cut=len(body) // 2)
    destination = io.BytesIO()

    with pytest.raises(OperatorError) as excinfo:
        download(operator, destination)

    assert excinfo.value.permanent is False
    assert 1024 * 1024 < len(destination.getvalue()) < len(audio)
    assert audio.startswith(destination.getvalue())


@pytest.mark.parametrize("shape", SHAPES)
def test_an_empty_recording_in_any_shape_is_a_retryable_error(
    stub: Stub, operator: SeedV1Operator, shape: str
) -> None:
    stub.script("/recordingdownload/A010B020", body=answer(shape, ""))

    with pytest.raises(OperatorError, match="sent no recording") as excinfo:
        download(operator)

    assert excinfo.value.permanent is False


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


@pytest.mark.parametrize("shape", SHAPES)
def test_memory_does_not_grow_with_the_recording(
    stub: Stub, operator: SeedV1Operator, shape: str
) -> None:
    audio = os.urandom(24 * 1024 * 1024)
    body = json.dumps(answer(shape, base64.b64encode(audio).decode())).encode()
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


NUMBERS = {"sponsor": "01052680000", "caller": "+8613912345673", "callee": "+8613810268653"}


@pytest.mark.parametrize(("record", "sent"), [(True, 1), (False, 0), (None, None)])
def test_begin_sends_the_record_flag_when_a_field_is_configured(
    stub: Stub, make_operator, record: bool | None, sent: int | None
) -> None:
    make_operator(record_field="record").begin(**NUMBERS, record=record)

    [request] = stub.received("/clicktodialbegin")
    assert request.json().get("record") == sent


def test_the_record_field_name_is_configurable_and_by_default_never_sent(
    stub: Stub, make_operator
) -> None:
    make_operator(record_field="isRecord").begin(**NUMBERS, record=True)
    make_operator().begin(**NUMBERS, record=True)

    first, second = stub.received("/clicktodialbegin")
    assert first.json()["isRecord"] == 1
    assert set(second.json()) == {"sponsor", "caller", "callee"}
