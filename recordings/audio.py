"""What a downloaded recording is, read from its bytes: format, MIME type and duration.

The operator says nothing about the file but its base64, so the format is recognised from the
magic numbers at its start (WAV, MP3, AMR, AMR-WB, Ogg, FLAC, M4A), and the duration read from
the headers (WAV, FLAC), the frames (AMR) or the frame header and any Xing/VBRI header (MP3).
A file that is none of these, or whose structure is broken, is refused: it is never stored.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["AudioInfo", "BrokenAudio", "UnknownFormat", "inspect_audio"]

_HEAD = 64 * 1024


class UnknownFormat(ValueError):
    """The bytes are not audio in any format the portal knows."""


class BrokenAudio(ValueError):
    """The bytes start like a known format but its structure is broken (truncated, say)."""


@dataclass(frozen=True)
class AudioInfo:
    audio_format: str  # a Recording.Format value
    content_type: str
    extension: str
    duration_ms: int | None


def inspect_audio(file: BinaryIO) -> AudioInfo:
    """Recognise the audio in ``file`` (read from its start; the position is left anywhere)."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    head = file.read(_HEAD)
    if not head:
        raise UnknownFormat("the file is empty")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AudioInfo("wav", "audio/wav", "wav", _wav_duration(file, size))
    if head.startswith(b"#!AMR-WB\n"):
        return AudioInfo("amr_wb", "audio/amr-wb", "awb", _amr_duration(file, wideband=True))
    if head.startswith(b"#!AMR\n"):
        return AudioInfo("amr", "audio/amr", "amr", _amr_duration(file, wideband=False))
    if head.startswith(b"fLaC"):
        return AudioInfo("flac", "audio/flac", "flac", _flac_duration(head))
    if head.startswith(b"OggS"):
        return AudioInfo("ogg", "audio/ogg", "ogg", None)
    if head[4:8] == b"ftyp":
        return AudioInfo("m4a", "audio/mp4", "m4a", None)
    mp3 = _mp3_duration(file, head, size)
    if mp3 is not None:
        return AudioInfo("mp3", "audio/mpeg", "mp3", mp3)
    raise UnknownFormat("the file is not WAV, MP3, AMR, Ogg, FLAC or M4A audio")


# WAV -------------------------------------------------------------------------------------------


def _wav_duration(file: BinaryIO, size: int) -> int:
    """Walk the RIFF chunks to "fmt " (bytes per second) and "data" (how many bytes)."""
    position = 12
    byte_rate = None
    while position + 8 <= size:
        file.seek(position)
        chunk_id, chunk_size = struct.unpack("<4sI", file.read(8))
        body = position + 8
        if chunk_id == b"fmt ":
            fmt = file.read(min(chunk_size, 40))
            if len(fmt) < 16:
                raise BrokenAudio("the WAV format chunk is cut short")
            byte_rate = struct.unpack("<I", fmt[8:12])[0]
        elif chunk_id == b"data":
            if byte_rate is None or byte_rate == 0:
                raise BrokenAudio("the WAV file has no usable format chunk before its data")
            present = size - body
            # Streamed WAVs leave the size at 0 or 0xFFFFFFFF: then the data runs to the end.
            if chunk_size in (0, 0xFFFFFFFF):
                chunk_size = present
            elif chunk_size > present:
                raise BrokenAudio(
                    f"the WAV file is truncated: {chunk_size} bytes of audio announced, "
                    f"{present} present"
                )
            return chunk_size * 1000 // byte_rate
        position = body + chunk_size + (chunk_size & 1)  # chunks are word-aligned
    raise BrokenAudio("the WAV file has no data chunk")


# AMR -------------------------------------------------------------------------------------------

# Frame sizes in bytes, header byte included, by frame type (RFC 4867 §5.3); None: not allowed.
_AMR_NB_SIZES = (13, 14, 16, 18, 20, 21, 27, 32, 6, None, None, None, None, None, None, 1)
_AMR_WB_SIZES = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, None, None, None, None, 1, 1)


def _amr_duration(file: BinaryIO, *, wideband: bool) -> int:
    """Count the 20 ms frames; a bad frame type or a frame cut short is a broken file."""
    sizes = _AMR_WB_SIZES if wideband else _AMR_NB_SIZES
    file.seek(9 if wideband else 6)
    frames = 0
    carry = b""
    while True:
        block = file.read(_HEAD)
        if not block:
            break
        data = carry + block
        position = 0
        while position < len(data):
            frame_size = sizes[(data[position] >> 3) & 0x0F]
            if frame_size is None:
                raise BrokenAudio(f"an AMR frame of an unknown type after {frames} frames")
            if position + frame_size > len(data):
                break
            position += frame_size
            frames += 1
        carry = data[position:]
    if carry:
        raise BrokenAudio(f"the AMR file ends inside a frame after {frames} frames")
    if frames == 0:
        raise BrokenAudio("the AMR file has no frames")
    return frames * 20


# FLAC ------------------------------------------------------------------------------------------


def _flac_duration(head: bytes) -> int | None:
    """From STREAMINFO, always the first metadata block: sample rate and total samples."""
    if len(head) < 4 + 4 + 18 or head[4] & 0x7F != 0:
        raise BrokenAudio("the FLAC file has no STREAMINFO block")
    info = head[8:26]
    packed = int.from_bytes(info[10:18], "big")
    sample_rate = packed >> 44
    total_samples = packed & ((1 << 36) - 1)
    if sample_rate == 0:
        raise BrokenAudio("the FLAC file has no sample rate")
    return total_samples * 1000 // sample_rate if total_samples else None


# MP3 -------------------------------------------------------------------------------------------

_MP3_BITRATES = {
    # (MPEG-1?, layer): kbit/s by bitrate index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Mp3Frame:
    mpeg1: bool
    layer: int
    bitrate: int  # bit/s
    sample_rate: int
    samples: int  # per frame
    length: int  # bytes
    mono: bool


def _mp3_frame(header: bytes) -> _Mp3Frame | None:
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    layer = 4 - ((header[1] >> 1) & 3)  # 4 means reserved
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    sample_rate = _MP3_SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        samples, length = 384, (12 * bitrate // sample_rate + padding) * 4
    else:
        samples = 1152 if (layer == 2 or mpeg1) else 576
        length = samples // 8 * bitrate // sample_rate + padding
    return _Mp3Frame(mpeg1, layer, bitrate, sample_rate, samples, length, header[3] >> 6 == 3)


def _mp3_duration(file: BinaryIO, head: bytes, size: int) -> int | None:
    """The duration if ``head`` starts an MP3 stream (after any ID3v2 tag), else None.

    Two frames in a row must check out, so that noise starting with 0xFFE is not taken for MP3.
    """
    start = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        tag_size = 0
        for byte in head[6:10]:
            tag_size = (tag_size << 7) | (byte & 0x7F)
        start = 10 + tag_size + (10 if head[5] & 0x10 else 0)
    file.seek(start)
    data = file.read(_HEAD)
    frame = _mp3_frame(data[:4])
    if frame is None:
        if start:
            raise BrokenAudio("an ID3 tag is not followed by MP3 audio")
        return None
    following = data[frame.length : frame.length + 4]
    if len(data) >= frame.length + 4 and _mp3_frame(following) is None:
        if start:
            raise BrokenAudio("the MP3 audio's second frame is broken")
        return None
    # A Xing/Info header (after the side information) or a VBRI header counts the frames.
    side_info = (32 if not frame.mono else 17) if frame.mpeg1 else (17 if not frame.mono else 9)
    for offset, tag, count_at in ((4 + side_info, (b"Xing", b"Info"), 8), (36, (b"VBRI",), 14)):
        if data[offset : offset + 4] in tag:
            if tag[0] == b"VBRI":
                frames = struct.unpack(">I", data[offset + count_at : offset + count_at + 4])[0]
            elif struct.unpack(">I", data[offset + 4 : offset + 8])[0] & 1:
                frames = struct.unpack(">I", data[offset + 8 : offset + 12])[0]
            else:
                break
            return frames * frame.samples * 1000 // frame.sample_rate
    # Constant bitrate: the audio's bytes at the first frame's bitrate.
    return (size - start) * 8 * 1000 // frame.bitrate
