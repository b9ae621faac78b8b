"""The calls the sandbox places: each driven through its scenario by a thread of its own, which
sends the call's notifications (v1's to the portal, CAMARA's events to the call's sink) in order.

Each call has one daemon thread that sleeps until its next scheduled status and sends the
notification itself, so a call's notifications are always sent in order, one at a time, and a slow
portal only delays its own call. Ending a call (v1's EndCall, CAMARA's DELETE) decides the end
under the lock and wakes that thread, which then sends the Disconnected.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.calls import SandboxCall, utcnow
from sandbox.config import SandboxConfig
from sandbox.events import camara_event, v1_notification
from sandbox.memory import CallRegister, RecentList, RecordingView
from sandbox.notifier import Notifier
from sandbox.scenarios import CONNECTED, DISCONNECTED, Scenario

log = logging.getLogger("sandbox")


@dataclass
class SentNotification:
    """One status notification and what the portal answered (or why it could not)."""

    callidentifier: str
    body: dict[str, Any]
    status_code: int | None
    response_body: str | None
    error: str | None
    url: str = ""
    sent_at: datetime = field(default_factory=utcnow)
    elapsed_ms: float | None = None  # until the portal's answer came (None: no answer)


class Switchboard:
    """The calls, their threads and the notifications they sent, under one lock.

    ``lock`` guards ``calls`` and every call's fields; the endpoints hold it while they read or
    change a call. ``event_source`` gives CAMARA events' ``source`` (known once the server is
    listening).
    """

    def __init__(self, config: SandboxConfig, *, event_source: Callable[[], str]) -> None:
        self.config = config
        self.lock = threading.Lock()
        # What tests read (sandbox/memory.py): the calls (every live one, and the latest that are
        # over), the last notifications sent, and every kept call's recording by recordingId.
        self.calls = CallRegister(config.calls_kept)
        self.notifications: RecentList[SentNotification] = RecentList(config.history_limit)
        self._sent_count = itertools.count(1)  # notifications sent, for duplicate_every
        self.recordings = RecordingView(self.calls, self.lock)
        self._placed = itertools.count()  # numbers calls in the order placed (their tones)
        self._stopping = threading.Event()
        self._notifier = Notifier()
        self._event_source = event_source

    def place(
        self,
        sponsor: str,
        caller: str,
        callee: str,
        scenario: Scenario,
        *,
        record: bool,
        api: str = "v1",
        sink: str = "",
        sink_token: str = "",
    ) -> SandboxCall:
        """Place a call and start its thread."""
        with self.lock:
            call = SandboxCall(
                self._identifier_for(scenario, api),
                sponsor,
                caller,
                callee,
                scenario,
                sequence=next(self._placed),
                record=record,
                api=api,
                sink=sink,
                sink_token=sink_token,
            )
            self.calls.add(call)
        thread = threading.Thread(
            target=self._drive, args=(call,), name=f"call-{call.callidentifier}"
        )
        thread.daemon = True
        thread.start()
        return call

    def hang_up(self, call: SandboxCall) -> None:
        """End a live call now, as its caller hung up (the caller holds the lock)."""
        self._finish(call, "HangUp", self._talk_seconds_so_far(call))
        call._wake.set()

    def hold_slow_answer(self) -> None:
        """Hold a slow begin's answer (the call is already under way); stop() cuts it short."""
        self._stopping.wait(self.config.begin_delay_slow)

    def wait_for_end(self, callidentifier: str, timeout: float) -> bool:
        call = self.calls.get(callidentifier)
        return call is not None and call._ended.wait(timeout)

    def stop(self) -> None:
        """Silence every pending call (no more notifications are sent)."""
        self._stopping.set()
        with self.lock:
            for call in self.calls.values():
                call._cancelled = True
                call._wake.set()
        self._notifier.close()

    def _identifier_for(self, scenario: Scenario, api: str) -> str:
        """A callidentifier no live call has (the caller holds the lock)."""
        if scenario.reuses_identifier:
            earlier = self.calls.latest_over(api)
            if earlier is not None:
                return earlier.callidentifier
        callidentifier = secrets.token_hex(8).upper()
        while callidentifier in self.calls:
            callidentifier = secrets.token_hex(8).upper()
        return callidentifier

    def _drive(self, call: SandboxCall) -> None:
        """The call's thread: send each scheduled status, then the Disconnected, in order."""
        scenario = call.scenario
        if call.api == "camara":
            # CAMARA's first event: the call is being set up.
            with self.lock:
                body = v1_notification(call)
            self._notify(call, body)
        for at, status in scenario.progress:
            if self._sleep_until(call, at):
                break  # released or stopped
            with self.lock:
                if call.state == DISCONNECTED or call._cancelled:
                    break
                call.state = status
                if status == CONNECTED:
                    call.connected_at, call._connected = utcnow(), time.monotonic()
                body = v1_notification(call)
            self._notify(call, body)
        else:
            if not self._sleep_until(call, scenario.end_at):
                with self.lock:
                    if call.state != DISCONNECTED:
                        self._finish(call, scenario.end_reason, scenario.talk_seconds)
        with self.lock:
            if call._cancelled or call.state != DISCONNECTED:
                return
            body = v1_notification(call)
        self._notify(call, body)
        call._ended.set()
        with self.lock:
            self.calls.mark_over(call)

    def _sleep_until(self, call: SandboxCall, nominal: float) -> bool:
        """Wait for a scheduled moment; True if woken early (EndCall or stop)."""
        delay = call._started + nominal * self.config.time_scale - time.monotonic()
        return call._wake.wait(max(0.0, delay))

    def _talk_seconds_so_far(self, call: SandboxCall) -> int:
        """Connected time in nominal seconds (real seconds undone by time_scale)."""
        if call._connected is None:
            return 0
        return round((time.monotonic() - call._connected) / self.config.time_scale)

    def _finish(self, call: SandboxCall, reason: str, duration: int) -> None:
        """Decide the end of a call (caller holds the lock); the call's thread announces it."""
        call.state = DISCONNECTED
        call.reason = reason
        call.call_duration = duration
        call.ended_at = utcnow()
        if not call.record:
            call.recording_result = None  # recording off: the seed's fields are left out
        elif call.connected_at is None:
            call.recording_result = "NoRecord"
        elif call.scenario.recording != "Success":
            call.recording_result = call.scenario.recording
        else:
            call.recording_result = "Success"
            stamp = call.ended_at.strftime("%Y%m%d%H%M%S")
            call.recording_id = f"{stamp}{secrets.randbelow(10_000):04d}"

    def _notify(self, call: SandboxCall, body: dict[str, Any]) -> None:
        """POST one notification, and every `duplicate_every`-th one a second time (as an
        operator that missed the answer sends it again)."""
        self._notify_once(call, body)
        every = self.config.duplicate_every
        if every and next(self._sent_count) % every == 0:
            self._notify_once(call, body)

    def _notify_once(self, call: SandboxCall, body: dict[str, Any]) -> None:
        """POST one notification once (no retries) and record the outcome, whatever it is."""
        if call.api == "camara":
            if not call.sink:
                return  # no sink given: CAMARA's events are optional
            url = call.sink
            body = camara_event(call, body, source=self._event_source())
            delivery = self._notifier.post(
                url,
                json.dumps(body).encode(),
                content_type="application/cloudevents+json",
                headers={"Authorization": f"Bearer {call.sink_token}"},
            )
        else:
            url = self.config.notify_url.replace("{callidentifier}", call.callidentifier)
            delivery = self._notifier.post(
                url,
                json.dumps(body).encode(),
                content_type="application/json",
                auth=self.config.notify_credentials,
                chunked=call.scenario.notification.chunked,
            )
        sent = SentNotification(
            call.callidentifier,
            body,
            delivery.status_code,
            delivery.text,
            delivery.error,
            url,
            elapsed_ms=delivery.elapsed_ms,
        )
        with self.lock:
            self.notifications.append(sent)
        outcome = delivery.status_code if delivery.error is None else delivery.error
        status = body["data"]["status"]["state"] if call.api == "camara" else body["status"]
        log.info("notify %s %s -> %s", call.callidentifier, status, outcome)
