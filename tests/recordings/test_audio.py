"""Recognising a recording from its bytes: format, MIME type and duration, or a refusal."""

from __future__ import annotations

import io
import os
import struct

import pytest

from recordings.audio import BrokenAudio, UnknownFormat, inspect_audio
from sandbox.audio import tone_wav

MP3_FRAME = b"\xff\xfb\x90\x00" + bytes(413)  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417 bytes


def inspect(data: bytes):
    return inspect_audio(io.BytesIO(data))


def test_wav_duration_comes_from_its_header() -> None:
    info = inspect(tone_wav(7, sequence=1))

    assert (info.audio_format, info.content_type, info.extension) == ("wav", "audio/wav", "wav")
    assert info.duration_ms == 7000


def test_a_truncated_wav_is_broken() -> None:
    with pytest.raises(BrokenAudio, match="truncated"):
        inspect(tone_wav(2, sequence=1)[:10_000])


def test_a_wav_without_data_is_broken() -> None:
    header = b"RIFF" + struct.pack("<I", 4) + b"WAVE"
    with pytest.raises(BrokenAudio, match="no data chunk"):
        inspect(header)


def test_constant_bitrate_mp3_duration_from_its_size() -> None:
    info = inspect(b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + MP3_FRAME * 100)

    assert (info.audio_format, info.content_type) == ("mp3", "audio/mpeg")
    assert info.duration_ms == pytest.approx(2606, abs=30)  # 100 frames of 26.1 ms


def test_variable_bitrate_mp3_duration_from_its_xing_header() -> None:
    xing = b"Xing" + struct.pack(">II", 1, 1000)  # flags: frame count present; 1000 frames
    first = MP3_FRAME[:36] + xing + MP3_FRAME[36 + len(xing) :]

    info = inspect(first + MP3_FRAME * 3)

    assert info.duration_ms == 1000 * 1152 * 1000 // 44100


def test_noise_that_starts_like_an_mp3_frame_is_not_taken_for_one() -> None:
    with pytest.raises(UnknownFormat):
        inspect(b"\xff\xfb\x90\x00" + b"\x00" * 413 + b"garbage!" * 100)


@pytest.mark.parametrize(
    ("magic", "frame", "audio_format", "content_type"),
    [
        (b"#!AMR\n", bytes([7 << 3 | 4]) + bytes(31), "amr", "audio/amr"),
        (b"#!AMR-WB\n", bytes([8 << 3 | 4]) + bytes(60), "amr_wb", "audio/amr-wb"),
    ],
)
def test_amr_duration_counts_its_20_ms_frames(magic, frame, audio_format, content_type) -> None:
    info = inspect(magic + frame * 150)

    assert (info.audio_format, info.content_type, info.duration_ms) == (
        audio_format,
        content_type,
        3000,
    )
    with pytest.raises(BrokenAudio, match="ends inside a frame"):
        inspect(magic + frame * 150 + frame[:5])


def test_an_amr_frame_of_an_unknown_type_is_broken() -> None:
    with pytest.raises(BrokenAudio, match="unknown type"):
        inspect(b"#!AMR\n" + bytes([7 << 3 | 4]) + bytes(31) + bytes([10 << 3 | 4]) + bytes(40))


def test_flac_duration_from_streaminfo() -> None:
    packed = (16000 << 44) | (0 << 41) | (15 << 36) | 48_000  # 16 kHz mono 16-bit, 3 s
    streaminfo = bytes(10) + packed.to_bytes(8, "big") + bytes(16)
    info = inspect(b"fLaC" + bytes([0, 0, 0, 34]) + streaminfo)

    assert (info.audio_format, info.duration_ms) == ("flac", 3000)


@pytest.mark.parametrize(
    ("data", "audio_format"),
    [(b"OggS\x00\x02" + bytes(100), "ogg"), (b"\x00\x00\x00\x20ftypM4A " + bytes(100), "m4a")],
)
def test_ogg_and_m4a_are_recognised(data: bytes, audio_format: str) -> None:
    assert inspect(data).audio_format == audio_format


@pytest.mark.parametrize("data", [b"", os.urandom(2048), b"<html>not audio</html>"])
def test_what_is_not_audio_is_refused(data: bytes) -> None:
    with pytest.raises(UnknownFormat):
        inspect(data.replace(b"\xff", b"\x00"))
