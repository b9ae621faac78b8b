"""One call the sandbox has placed: its scenario, where it has got to, and its recording."""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sandbox.audio import tone_wav
from sandbox.scenarios import Scenario

MAX_RECORDING_SECONDS = 30
# What the corrupt-recording scenario sends: it starts like a WAV, then is not base64 at all.
CORRUPT_FILEDATA = "UklGRi4uLi4=!!not base64!!"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SandboxCall:
    """One placed call: its scenario and where it has got to.

    ``state`` is ``"Initiated"`` until the first notification, then the status last decided.
    The underscored fields are the operator's bookkeeping.
    """

    callidentifier: str
    sponsor: str
    caller: str
    callee: str
    scenario: Scenario
    # The call's place in the order calls were placed: picks its recording's tones.
    sequence: int = 0
    state: str = "Initiated"
    created_at: datetime = field(default_factory=utcnow)
    connected_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    call_duration: int | None = None
    recording_result: str | None = None
    recording_id: str | None = None
    # Whether the begin request asked for a recording ("record": 0 turns it off; absent is on).
    record: bool = True
    # "v1", or "camara": then events go to ``sink`` as CloudEvents with ``sink_token``.
    api: str = "v1"
    sink: str = ""
    sink_token: str = ""
    download_attempts: int = 0
    _started: float = field(default_factory=time.monotonic, repr=False)
    _connected: float | None = field(default=None, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)
    _cancelled: bool = field(default=False, repr=False)

    @property
    def is_over(self) -> bool:
        """Its Disconnected has been sent: nothing about it will change any more."""
        return self._ended.is_set()

    def recording_audio(self) -> bytes:
        """The recording's WAV, made again on each request (the same bytes every time).

        Generated rather than kept, so a sandbox left up for days holds no recordings (only the
        few tones they are made of, sandbox.audio).
        """
        seconds = min(self.call_duration or 0, MAX_RECORDING_SECONDS)
        return tone_wav(seconds, sequence=self.sequence)

    def recording_filedata(self) -> str:
        """The recording as a download sends it: base64 WAV, or, in the corrupt-recording
        scenario, text that starts like one and is not base64 at all."""
        if self.scenario.filedata == "corrupt":
            return CORRUPT_FILEDATA
        return base64.b64encode(self.recording_audio()).decode("ascii")
