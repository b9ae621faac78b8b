"""Real (if dull) call recordings: WAV audio generated with the standard library.

The portal stores, serves and plays recordings, so the sandbox hands out files that any player and
the ``wave`` module accept: 8 kHz mono 16-bit PCM, the format of telephone audio. Each call gets
its own pair of alternating tones, so a test or a person can tell two recordings apart.
"""

from __future__ import annotations

import functools
import io
import math
import sys
import wave
from array import array

SAMPLE_RATE = 8000
SEGMENT = SAMPLE_RATE // 2  # each tone lasts half a second
_FADE = SAMPLE_RATE // 100  # 10 ms fade in and out, so tone changes do not click
_AMPLITUDE = 0.3 * 32767


def tones_for(sequence: int) -> tuple[int, int]:
    """Two frequencies (Hz) for the call placed `sequence`-th: consecutive calls never match."""
    low = 330 + (sequence % 32) * 10  # 330..640 Hz
    return low, low * 5 // 4  # a major third above


# Each of the few tones is computed once per process: a sample at a time in Python, two of them
# took about 6 ms, half of the sandbox's work for a call in the benchmark's capacity run, on the
# cores the portal is measured on. (A segment is 8 KB; 64 of them at most.)
@functools.lru_cache(maxsize=64)
def _segment(frequency: int) -> array:
    samples = array("h")
    for i in range(SEGMENT):
        envelope = min(1.0, i / _FADE, (SEGMENT - 1 - i) / _FADE)
        value = _AMPLITUDE * envelope * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)
        samples.append(round(value))
    return samples


def tone_wav(seconds: int, sequence: int) -> bytes:
    """A WAV file of exactly ``seconds`` seconds (at least 1) of the `sequence`-th call's tones."""
    low, high = tones_for(sequence)
    pattern = _segment(low) + _segment(high)
    frames = max(1, seconds) * SAMPLE_RATE
    samples = (pattern * (frames // len(pattern) + 1))[:frames]
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()
