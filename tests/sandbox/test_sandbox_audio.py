"""The sandbox's recordings: each call's own two tones, the same bytes every time."""

from __future__ import annotations

import io
import wave

from sandbox.audio import SAMPLE_RATE, tone_wav


def _samples(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        return wav.readframes(wav.getnframes())


def test_a_recording_is_the_same_each_time_it_is_made() -> None:
    # Its tones are computed once and kept (sandbox.audio._segment): nothing may change them.
    first = tone_wav(3, sequence=5)

    assert tone_wav(1, sequence=5) == tone_wav(1, sequence=5)
    assert tone_wav(3, sequence=5) == first
    assert len(_samples(first)) == 3 * SAMPLE_RATE * 2


def test_two_calls_in_a_row_sound_different() -> None:
    assert _samples(tone_wav(2, sequence=1)) != _samples(tone_wav(2, sequence=2))
    # The same length of the same call: the shorter is the start of the longer.
    assert _samples(tone_wav(3, sequence=1)).startswith(_samples(tone_wav(2, sequence=1)))
