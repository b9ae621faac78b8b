"""The incremental answer parser: JSON read chunk by chunk, the recording's base64 (``filedata``,
``result.filedata`` or ``result`` itself) decoded as it streams past, and every way an answer or
its base64 can be wrong."""

from __future__ import annotations

import base64
import io
import json
import os
import random

import pytest

from operator_api.streaming import (
    DECODE_SLICE,
    AnswerParser,
    Base64Writer,
    CorruptFiledata,
    UnreadableAnswer,
)

AUDIO = os.urandom(5000) + b"\xff\xfe\xfd"  # ends off a 3-byte boundary: padding needed


def parse(body: bytes, *, chunk_sizes=(1, 2, 3, 7, 64, 4096), seed: int = 0):
    """Feed ``body`` in chunks of random sizes; return (envelope, decoded bytes)."""
    rng = random.Random(seed)
    destination = io.BytesIO()
    parser = AnswerParser(stream_to=Base64Writer(destination))
    position = 0
    while position < len(body):
        size = rng.choice(chunk_sizes)
        parser.feed(body[position : position + size])
        position += size
    return parser.close(), destination.getvalue()


def answer(**fields) -> bytes:
    return json.dumps({"code": "0000000", "description": "Success", **fields}).encode()


@pytest.mark.parametrize("seed", range(5))
def test_filedata_at_the_top_level_is_decoded_whatever_the_chunking(seed: int) -> None:
    envelope, audio = parse(answer(filedata=base64.b64encode(AUDIO).decode()), seed=seed)

    assert audio == AUDIO
    assert envelope == {"code": "0000000", "description": "Success", "filedata": len(AUDIO)}


def test_filedata_inside_result_is_decoded_and_the_rest_of_result_kept() -> None:
    body = answer(result={"recordingId": "r1", "filedata": base64.b64encode(AUDIO).decode()})

    envelope, audio = parse(body)

    assert audio == AUDIO
    assert envelope["result"] == {"recordingId": "r1", "filedata": len(AUDIO)}


@pytest.mark.parametrize("seed", range(3))
def test_a_result_that_is_the_base64_itself_is_decoded(seed: int) -> None:
    """The seed's OpenAPI shape: {"code", "description", "result": "UklGR..."}."""
    envelope, audio = parse(answer(result=base64.b64encode(AUDIO).decode()), seed=seed)

    assert audio == AUDIO
    assert envelope == {"code": "0000000", "description": "Success", "result": len(AUDIO)}


def test_a_result_string_is_written_in_slices_before_the_answer_ends() -> None:
    audio = os.urandom(DECODE_SLICE * 3)
    body = answer(result=base64.b64encode(audio).decode())
    destination = io.BytesIO()
    parser = AnswerParser(stream_to=Base64Writer(destination))

    parser.feed(body[: len(body) // 2])

    assert 0 < len(destination.getvalue()) < len(audio)
    parser.feed(body[len(body) // 2 :])
    parser.close()
    assert destination.getvalue() == audio


def test_a_result_string_and_filedata_are_two_recordings() -> None:
    with pytest.raises(CorruptFiledata, match="two recordings"):
        parse(answer(filedata="QUJD", result="QUJD"))


def test_only_the_places_asked_for_are_streamed() -> None:
    """CAMARA's recording is ``content``: there, v1's places are ordinary values."""
    destination = io.BytesIO()
    parser = AnswerParser(stream_to=Base64Writer(destination), streamed_paths=[("content",)])
    parser.feed(json.dumps({"result": "QUJD", "content": "YXVkaW8="}).encode())

    assert parser.close() == {"result": "QUJD", "content": 5}
    assert destination.getvalue() == b"audio"


def test_filedata_elsewhere_is_an_ordinary_value() -> None:
    body = answer(items=[{"filedata": "QUJD"}], other={"deep": {"filedata": "QUJD"}})

    envelope, audio = parse(body)

    assert audio == b""
    assert envelope["items"] == [{"filedata": "QUJD"}]
    assert envelope["other"] == {"deep": {"filedata": "QUJD"}}


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda b: base64.encodebytes(b).decode(), id="MIME line breaks"),
        pytest.param(lambda b: base64.b64encode(b).decode().rstrip("="), id="no padding"),
        pytest.param(lambda b: base64.urlsafe_b64encode(b).decode(), id="URL-safe alphabet"),
        pytest.param(
            lambda b: "data:audio/wav;base64," + base64.b64encode(b).decode(), id="data URI"
        ),
    ],
)
def test_tolerated_forms_of_base64(encode) -> None:
    assert parse(answer(filedata=encode(AUDIO)))[1] == AUDIO


@pytest.mark.parametrize(
    "escape",
    [
        pytest.param(lambda text: text.replace("/", "\\/"), id="PHP escapes slashes"),
        pytest.param(lambda text: text.replace("=", "\\u003d"), id="Gson escapes ="),
        pytest.param(lambda text: text.replace('"filedata": "', '"filedata": "\\n'), id="\\n"),
    ],
)
def test_json_escapes_in_the_base64_are_undone(escape) -> None:
    body = escape(answer(filedata=base64.b64encode(AUDIO).decode()).decode()).encode()

    assert parse(body, chunk_sizes=(1, 2, 5))[1] == AUDIO


def test_a_large_filedata_is_written_in_slices_before_the_answer_ends() -> None:
    audio = os.urandom(DECODE_SLICE * 3)
    body = answer(filedata=base64.b64encode(audio).decode())
    destination = io.BytesIO()
    parser = AnswerParser(stream_to=Base64Writer(destination))

    parser.feed(body[: len(body) // 2])

    assert 0 < len(destination.getvalue()) < len(audio)  # written while still arriving
    parser.feed(body[len(body) // 2 :])
    parser.close()
    assert destination.getvalue() == audio


def test_other_values_are_parsed_exactly() -> None:
    body = answer(
        text='quote " backslash \\ unicode é 中',
        numbers=[0, -1.5e3, 12],
        flags=[True, False, None],
        empty={"o": {}, "a": []},
    )

    envelope, _ = parse(body, chunk_sizes=(1,))

    assert envelope == json.loads(body)


@pytest.mark.parametrize(
    "filedata",
    [
        "QUJD!",  # not the alphabet
        "QUJDR",  # an impossible length
        "QUJD===",  # too much padding
        "QQ==QQ==",  # data after the padding
        'QU\\"JD',  # a quote
        "QU\\\\JD",  # a backslash
        "QU\\u00e9JD",  # non-ASCII
        "data:audio/wav;base64",  # a data: header with nothing after it
    ],
)
def test_corrupt_base64_is_refused(filedata: str) -> None:
    body = b'{"code": "0000000", "filedata": "' + filedata.encode() + b'"}'
    with pytest.raises(CorruptFiledata):
        parse(body)


def test_two_recordings_in_one_answer_are_refused() -> None:
    body = answer(filedata="QUJD", result={"filedata": "QUJD"})
    with pytest.raises(CorruptFiledata, match="two recordings"):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502 Bad Gateway</html>",
        b'["a list"]',
        b'{"code": "0000000", "filedata": "QUJD',  # cut off mid-string
        b'{"code": "0000000"',  # cut off before the end
        b'{"code": "0000000",}',
        b'{"code" "0000000"}',
        b'{"code": "0000000"} trailing',
        b'{"flag": tru}',
        b"",
    ],
)
def test_what_is_not_one_complete_json_object_is_unreadable(body: bytes) -> None:
    with pytest.raises(UnreadableAnswer):
        parse(body)


def test_an_answer_holding_more_than_a_recording_is_unreadable() -> None:
    with pytest.raises(UnreadableAnswer, match="more than its recording"):
        parse(answer(description="x" * (2 << 20)), chunk_sizes=(65536,))


def test_without_a_writer_filedata_is_kept_like_any_value() -> None:
    parser = AnswerParser()
    parser.feed(answer(filedata="QUJD", result="QUJD"))

    assert parser.close() == json.loads(answer(filedata="QUJD", result="QUJD"))


def test_empty_and_null_filedata() -> None:
    assert parse(answer(filedata=""))[0]["filedata"] == 0
    assert parse(answer(filedata=None))[0]["filedata"] is None
