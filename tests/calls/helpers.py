"""Helpers shared by the calls tests: the operator's notifications as the notify endpoint takes
them, calls placed through the API and waited for, calls made in a given state, a scripted fake
operator, and whole call lifecycles as the operator reports them."""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from members.models import MinutePool, UsageDaily, UsageEntry, UsageMonthly
from operator_api import ReleaseOperation
from sandbox import scenarios
from tests.conftest import NOTIFY_PASSWORD, NOTIFY_USERNAME

CALLER = "+8613912345673"
CALLEE = "+8613810268653"
IDENTIFIER = "A010B020"


# Notifications ---------------------------------------------------------------------------------


def basic(username: str = NOTIFY_USERNAME, password: str = NOTIFY_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


AUTH = basic()


def notify(client, body, *, identifier: str = IDENTIFIER, auth: str | None = None):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        reverse("operator-status-notify", args=[identifier]),
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=auth if auth is not None else basic(),
    )


def body(status: str, **extra) -> dict:
    return {
        "caller": CALLER.lstrip("+"),
        "callee": CALLEE.lstrip("+"),
        "status": status,
        "timeStamp": "2026-11-26T10:00:00.000Z",
        **extra,
    }


DISCONNECTED = body(
    "Disconnected",
    reason="HangUp",
    callDuration=125,
    recordingResult="Success",
    recordingId="20261126100205",
    timeStamp="2026-11-26T10:02:13.000Z",
)


def answer(response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


# Calls placed through the API, against the sandbox --------------------------------------------


def wait_for(call_id: int, predicate, *, timeout: float = 30.0) -> Call:
    """Poll the database until the call satisfies `predicate` (notifications arrive over HTTP).
    Usually a second or two; the limit is for a loaded CI machine's slowest broker."""
    deadline = time.monotonic() + timeout
    while True:
        call = Call.objects.get(pk=call_id)
        if predicate(call):
            return call
        if time.monotonic() > deadline:
            raise AssertionError(f"call {call_id} stuck at {call.status} ({call.error_message})")
        time.sleep(0.05)


def start(api, callee: str):
    response = api.post(reverse("api-call-list"), {"callee": callee}, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def requests_to(sandbox, suffix: str) -> list:
    return [r for r in sandbox.requests if r.path.endswith(suffix) or f"/{suffix}/" in r.path]


def use_camara(operator, settings, live_server) -> None:
    """The portal on the sandbox's CAMARA API, its events coming back to the live server."""
    settings.OPERATOR_API = "camara"
    settings.OPERATOR_API_BASE_URL = operator.camara_base_url
    settings.PORTAL_BASE_URL = live_server.url


# Calls made in a state ------------------------------------------------------------------------


def call_in(member, status: str, *, quiet_for: timedelta) -> Call:
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        status=status,
        ended_at=timezone.now() if status == "ended" else None,
    )
    # update() leaves auto_now alone, so the call looks quiet for that long.
    Call.objects.filter(pk=call.pk).update(updated_at=timezone.now() - quiet_for)
    return call


# A fake operator -------------------------------------------------------------------------------


class FakeOperator:
    """An operator whose answers a test scripts, for races that real timing cannot pin down:
    `on_begin` answers each begin (returns the callidentifier, or raises), `release_error` is
    raised by each release. It keeps the begins and the releases it was asked for.

    Its methods keep the adapter's signatures (tests/operator_api/test_fakes.py checks them)."""

    def __init__(
        self,
        *,
        on_begin: Callable[[], str] | None = None,
        release_error: Exception | None = None,
    ) -> None:
        self.on_begin = on_begin
        self.release_error = release_error
        self.begins: list[dict] = []
        self.released: list[str] = []

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        self.begins.append({"sponsor": sponsor, "caller": caller, "callee": callee})
        return self.on_begin()

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        if self.release_error:
            raise self.release_error
        self.released.append(callidentifier)


# Whole lifecycles, as the operator reports them (tests/calls/test_delivery_*.py) -------------

SPONSOR = "+861052680000"
START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

# The status each notification moves a call to, and how far along that is.
TARGET = {
    scenarios.CALLING_CALLER: Call.Status.CALLING_CALLER,
    scenarios.CALLING_CALLEE: Call.Status.CALLING_CALLEE,
    scenarios.CONNECTED: Call.Status.CONNECTED,
    scenarios.DISCONNECTED: Call.Status.ENDED,
}
RANK = {
    Call.Status.DIALING: 1,
    Call.Status.UNKNOWN: 1,
    Call.Status.CALLING_CALLER: 2,
    Call.Status.CALLING_CALLEE: 3,
    Call.Status.CONNECTED: 4,
    Call.Status.ENDED: 5,
}

# As in sandbox/scenarios.py: the statuses before the Disconnected, its reason, whether it talked,
# and the recording's result when it did.
_RINGING = (scenarios.CALLING_CALLER, scenarios.CALLING_CALLEE)
KINDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "normal": ((*_RINGING, scenarios.CONNECTED), "HangUp", "Success"),
    "recording_failure": ((*_RINGING, scenarios.CONNECTED), "HangUp", "Fail"),
    "callee_busy": (_RINGING, "CalleeBusy", ""),
    "callee_no_answer": (_RINGING, "CalleeNoAnswer", ""),
    "caller_no_answer": ((scenarios.CALLING_CALLER,), "CallerNoAnswer", ""),
    "caller_abandon": (_RINGING, "CallerAbandon", ""),
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Lifecycle:
    """One call as the operator reports it: the bodies in the order it sends them, and the facts
    the portal must end up with."""

    identifier: str
    callee: str
    # The call was placed but the begin answer was lost: no identifier, status `unknown`.
    begin_lost: bool
    bodies: tuple[dict, ...]
    reason: str
    duration: int
    recording_result: str
    recording_id: str
    connected_at: datetime | None
    ended_at: datetime

    @property
    def connected(self) -> bool:
        return self.connected_at is not None

    @property
    def billed_minutes(self) -> int:
        """Billed per started minute (the default rule): 61 s is 2 minutes, 0 s nothing."""
        return math.ceil(self.duration / 60)

    def target(self, index: int) -> str:
        return TARGET[self.bodies[index]["status"]]

    def body(self, index: int) -> bytes:
        return json.dumps(self.bodies[index]).encode()


def lifecycle_make(
    *, number: int, kind: str, duration: int, record: bool, begin_lost: bool = False
) -> Lifecycle:
    """The lifecycle of call `number` (distinct numbers give distinct callees and identifiers)."""
    progress, reason, recording = KINDS[kind]
    callee = f"+861380000{number:04d}"
    start = START + timedelta(minutes=number)
    base = {"caller": CALLER.lstrip("+"), "callee": callee.lstrip("+")}
    bodies = []
    connected_at = None
    for offset, status in zip((0.5, 2.5, 5.0), progress, strict=False):
        moment = start + timedelta(seconds=offset)
        if status == scenarios.CONNECTED:
            connected_at = moment
        bodies.append({**base, "status": status, "timeStamp": _stamp(moment)})
    if connected_at is None:
        duration = 0
        ended_at = start + timedelta(seconds=8)
    else:
        ended_at = connected_at + timedelta(seconds=duration)
    # As the sandbox decides it (sandbox/switchboard.py, `_finish`).
    recording_id = ""
    if not record:
        recording_result = ""
    elif connected_at is None:
        recording_result = "NoRecord"
    else:
        recording_result = recording
        if recording == "Success":
            recording_id = ended_at.strftime("%Y%m%d%H%M%S") + f"{number % 10_000:04d}"
    end = {
        **base,
        "status": scenarios.DISCONNECTED,
        "reason": reason,
        "callDuration": duration,
        "timeStamp": _stamp(ended_at),
    }
    if recording_result:
        end["recordingResult"] = recording_result
    if recording_id:
        end["recordingId"] = recording_id
    bodies.append(end)
    return Lifecycle(
        identifier=f"DLV{number:06d}",
        callee=callee,
        begin_lost=begin_lost,
        bodies=tuple(bodies),
        reason=reason,
        duration=duration,
        recording_result=recording_result,
        recording_id=recording_id,
        connected_at=connected_at,
        ended_at=ended_at,
    )


def call_place(member, lifecycle: Lifecycle) -> Call:
    """The call as the portal holds it once the begin request went out."""
    return Call.objects.create(
        member=member,
        sponsor=SPONSOR,
        caller=CALLER,
        callee=lifecycle.callee,
        status=Call.Status.UNKNOWN if lifecycle.begin_lost else Call.Status.DIALING,
        callidentifier=None if lifecycle.begin_lost else lifecycle.identifier,
    )


def ended_call_check(call: Call, lifecycle: Lifecycle) -> None:
    """An ended call holds exactly what its Disconnected said, and one debit for it."""
    assert call.status == Call.Status.ENDED
    assert call.callidentifier == lifecycle.identifier
    assert call.reason == lifecycle.reason
    assert call.duration_seconds == lifecycle.duration
    assert call.ended_at == lifecycle.ended_at
    assert call.recording_result == lifecycle.recording_result
    assert call.recording_id == lifecycle.recording_id
    if lifecycle.connected and lifecycle.duration:
        assert call.connected_at == lifecycle.connected_at
    elif lifecycle.connected:
        # Talked 0 s: if the Disconnected came first, nothing tells when it connected.
        assert call.connected_at in (None, lifecycle.connected_at)
    else:
        assert call.connected_at is None
    entries = list(UsageEntry.objects.filter(call=call))
    assert len(entries) == 1
    assert entries[0].seconds == lifecycle.duration
    assert entries[0].billed_seconds == lifecycle.billed_minutes * 60
    assert call.billed_minutes == lifecycle.billed_minutes


def ledger_check() -> None:
    """Each pool's balance, and the daily and monthly rollups, equal the ledger."""
    assert (
        MinutePool.objects.filter(billing_rule=MinutePool.BillingRule.PER_MINUTE).count()
        == MinutePool.objects.count()
    )
    for pool in MinutePool.objects.all():
        ledger = UsageEntry.objects.filter(pool=pool).aggregate(s=Sum("billed_seconds"))["s"]
        assert pool.billed_seconds_used == (ledger or 0)
    ledger = UsageEntry.objects.aggregate(
        calls=Count("id"), seconds=Sum("seconds"), billed=Sum("billed_seconds")
    )
    for table in (UsageDaily, UsageMonthly):
        rollup = table.objects.aggregate(
            calls=Sum("calls"), seconds=Sum("seconds"), billed=Sum("billed_seconds")
        )
        if ledger["calls"]:
            assert rollup == ledger
        else:
            assert rollup["calls"] in (None, 0)


def doubly_debited() -> int:
    """Calls with more than one ledger entry (the schema forbids it; counted, not assumed)."""
    return UsageEntry.objects.values("call").annotate(n=Count("id")).filter(n__gt=1).count()
