"""What the sandbox remembers, bounded: the recent requests, notifications and calls.

``make run`` leaves the sandbox up for days, and load tests place calls by the thousand; anything
kept per request or per call must stop growing (a 20-minute run at 3 calls a second once took it
from 77 MB to 673 MB, holding every recording's bytes). Live calls are always kept; of the rest,
only the most recent. Recordings are not kept at all: they are made again from their call.

Each structure is mutated under the operator's lock only. Tests read them while calls run: the
histories stay plain lists (iterating a list that grows is safe, a deque would raise), and a loop
over the calls should go over a copy (``list(op.calls)``), as calls come, end and are forgotten.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import TypeVar

from sandbox.calls import SandboxCall

T = TypeVar("T")


class RecentList(list[T]):
    """A list that keeps only the last ``limit`` items appended to it."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        super().__init__()
        self.limit = limit

    def append(self, item: T) -> None:
        super().append(item)
        if len(self) > self.limit:
            del self[: len(self) - self.limit]


class CallRegister(OrderedDict[str, SandboxCall]):
    """The calls by callidentifier: at most ``limit`` of them, unless more than that are live (a
    live call is never forgotten: its release and its thread still need it).

    Ordered by placing, and a call moves to the end when it is over, so the calls forgotten first
    are the ones over for longest, whatever order they ended in.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        super().__init__()
        self.limit = limit

    def add(self, call: SandboxCall) -> None:
        """Keep a new call (replacing an ended one whose identifier it reuses), forget old ones."""
        self.pop(call.callidentifier, None)
        self[call.callidentifier] = call
        self.trim()

    def mark_over(self, call: SandboxCall) -> None:
        """The call's Disconnected has been sent: it is the latest call over, and older ones may
        now be forgotten (so the register shrinks back once a burst of live calls is over)."""
        if self.get(call.callidentifier) is call:  # not if a new call has taken its identifier
            self.move_to_end(call.callidentifier)
        self.trim()

    def trim(self) -> None:
        """Forget the calls over for longest until at most ``limit`` are kept (or none over)."""
        excess = len(self) - self.limit
        if excess <= 0:
            return
        # The first calls are nearly always over, so this stops after a step or two.
        forgotten = []
        for callidentifier, call in self.items():
            if call.is_over:
                forgotten.append(callidentifier)
                if len(forgotten) == excess:
                    break
        for callidentifier in forgotten:
            del self[callidentifier]

    def latest_over(self, api: str) -> SandboxCall | None:
        """The call of this API that was over last, if any is still kept."""
        return next((c for c in reversed(self.values()) if c.api == api and c.is_over), None)


class RecordingView(Mapping[str, bytes]):
    """``operator.recordings[recordingId]``: the audio a download of that recording sends.

    Made on demand from the call it belongs to, so it lasts as long as the call is kept. A
    recording that is never sent as audio (the corrupt-recording scenario) is not in it.
    """

    def __init__(self, calls: CallRegister, lock: threading.Lock) -> None:
        self._calls = calls
        self._lock = lock

    def _recorded(self) -> dict[str, SandboxCall]:
        with self._lock:
            return {
                call.recording_id: call
                for call in self._calls.values()
                if call.recording_id is not None and call.scenario.filedata != "corrupt"
            }

    def __getitem__(self, recording_id: str) -> bytes:
        return self._recorded()[recording_id].recording_audio()

    def __iter__(self) -> Iterator[str]:
        return iter(self._recorded())

    def __len__(self) -> int:
        return len(self._recorded())
