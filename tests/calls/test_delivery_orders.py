"""Every call lifecycle, delivered in any order with any duplicates, ends exactly as it says.

A Hypothesis state machine places a few calls, each with the lifecycle the operator will report
(the sandbox's scenarios: ringing, connected or not, how it ended, the recording's result), then
delivers any of their notifications -- not yet sent, or again -- in any order, interleaving the
calls, through the real notify endpoint. After every delivery: a status only moved forward and is
the furthest one delivered, an ended call carries the Disconnected's facts and exactly one debit,
the pool's balance and the rollups equal the ledger, and every notification sent is kept.

The lifecycle helpers here are shared with tests/calls/test_delivery_concurrent.py.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from calls.models import Call, CallEvent
from members.models import MinutePool, UsageDaily, UsageEntry, UsageMonthly
from sandbox.scenarios import CALLING_CALLEE, CALLING_CALLER, CONNECTED, DISCONNECTED
from tests.conftest import NOTIFY_PASSWORD, NOTIFY_USERNAME
from tests.reliability import record

CALLER = "+8613912345673"
SPONSOR = "+861052680000"
AUTH = "Basic " + base64.b64encode(f"{NOTIFY_USERNAME}:{NOTIFY_PASSWORD}".encode()).decode()
START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

# The status each notification moves a call to, and how far along that is.
TARGET = {
    CALLING_CALLER: Call.Status.CALLING_CALLER,
    CALLING_CALLEE: Call.Status.CALLING_CALLEE,
    CONNECTED: Call.Status.CONNECTED,
    DISCONNECTED: Call.Status.ENDED,
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
_RINGING = (CALLING_CALLER, CALLING_CALLEE)
KINDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "normal": ((*_RINGING, CONNECTED), "HangUp", "Success"),
    "recording_failure": ((*_RINGING, CONNECTED), "HangUp", "Fail"),
    "callee_busy": (_RINGING, "CalleeBusy", ""),
    "callee_no_answer": (_RINGING, "CalleeNoAnswer", ""),
    "caller_no_answer": ((CALLING_CALLER,), "CallerNoAnswer", ""),
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
        if status == CONNECTED:
            connected_at = moment
        bodies.append({**base, "status": status, "timeStamp": _stamp(moment)})
    if connected_at is None:
        duration = 0
        ended_at = start + timedelta(seconds=8)
    else:
        ended_at = connected_at + timedelta(seconds=duration)
    # As the sandbox decides it (sandbox/server.py _finish).
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
        "status": DISCONNECTED,
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


lifecycles = st.builds(
    lambda kind, duration, record, begin_lost: (kind, duration, record, begin_lost),
    st.sampled_from(sorted(KINDS)),
    st.one_of(st.sampled_from([0, 1, 59, 60, 61, 119, 120, 121]), st.integers(0, 3600)),
    st.booleans(),
    st.booleans(),
)

MAX_CALLS = 4


class Figures:
    sent = duplicated = reordered = stored = 0
    expected_debits = made = double = 0


class DeliveryMachine(RuleBasedStateMachine):
    """Deliver the notifications of a few calls in any order, with duplicates."""

    member = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the test's database and leaves nothing behind.
        self.savepoint = transaction.savepoint()
        self.client = Client()
        self.lifecycles: list[Lifecycle] = []
        self.pks: list[int] = []
        self.delivered: list[list[int]] = []
        self.deliveries = 0
        self.ranks: list[int] = []

    @initialize(specs=st.lists(lifecycles, min_size=1, max_size=MAX_CALLS))
    def place(self, specs) -> None:
        for number, (kind, duration, record_on, begin_lost) in enumerate(specs):
            lifecycle = lifecycle_make(
                number=number, kind=kind, duration=duration, record=record_on, begin_lost=begin_lost
            )
            self.lifecycles.append(lifecycle)
            self.pks.append(call_place(self.member, lifecycle).pk)
            self.delivered.append([0] * len(lifecycle.bodies))
            self.ranks.append(1)

    def _deliver(self, index: int, which: int) -> None:
        lifecycle = self.lifecycles[index]
        counts = self.delivered[index]
        response = self.client.post(
            reverse("operator-status-notify", args=[lifecycle.identifier]),
            data=lifecycle.body(which),
            content_type="application/json",
            HTTP_AUTHORIZATION=AUTH,
        )
        assert (response.status_code, response.json()["code"]) == (200, "0000000")
        Figures.sent += 1
        Figures.duplicated += counts[which] > 0
        Figures.reordered += any(counts[which + 1 :])
        counts[which] += 1
        self.deliveries += 1

    @rule(call=st.integers(0, MAX_CALLS - 1), which=st.integers(0, 3))
    def deliver_any(self, call: int, which: int) -> None:
        """Any notification of any call: the first time, or once more."""
        index = call % len(self.lifecycles)
        self._deliver(index, which % len(self.lifecycles[index].bodies))

    @precondition(lambda self: any(0 in counts for counts in self.delivered))
    @rule(call=st.integers(0, MAX_CALLS - 1), which=st.integers(0, 3))
    def deliver_new(self, call: int, which: int) -> None:
        """A notification not delivered yet, so that lifecycles get completed."""
        pending = [(i, j) for i, c in enumerate(self.delivered) for j, n in enumerate(c) if not n]
        calls = sorted({i for i, _ in pending})
        index = calls[call % len(calls)]
        mine = [j for i, j in pending if i == index]
        self._deliver(index, mine[which % len(mine)])

    @invariant()
    def calls_are_where_their_notifications_say(self) -> None:
        if not self.lifecycles:
            return
        calls = Call.objects.in_bulk(self.pks)
        for index, lifecycle in enumerate(self.lifecycles):
            call = calls[self.pks[index]]
            rank = RANK[call.status]
            # Forward only, and ended is final.
            assert rank >= self.ranks[index], (call.status, self.ranks[index])
            self.ranks[index] = rank
            delivered = [j for j, n in enumerate(self.delivered[index]) if n]
            if delivered:
                furthest = max((lifecycle.target(j) for j in delivered), key=RANK.__getitem__)
                assert call.status == furthest
                assert call.callidentifier == lifecycle.identifier
            else:
                assert call.status == (
                    Call.Status.UNKNOWN if lifecycle.begin_lost else Call.Status.DIALING
                )
            if call.status == Call.Status.ENDED:
                ended_call_check(call, lifecycle)
            else:
                assert not UsageEntry.objects.filter(call=call).exists()
                assert call.ended_at is None and call.duration_seconds is None
            if lifecycle.connected and call.status == Call.Status.CONNECTED:
                assert call.connected_at == lifecycle.connected_at
        assert doubly_debited() == 0
        ledger_check()
        # Every notification received is kept, tied to its call, and none went unapplied.
        assert CallEvent.objects.count() == self.deliveries
        assert not CallEvent.objects.filter(call__isnull=True).exists()
        assert not CallEvent.objects.exclude(
            outcome__in=[
                CallEvent.Outcome.APPLIED,
                CallEvent.Outcome.DUPLICATE,
                CallEvent.Outcome.STALE,
            ]
        ).exists()

    def teardown(self) -> None:
        try:
            if self.lifecycles:
                # The rest of each lifecycle arrives at last, latest first.
                for index, counts in enumerate(self.delivered):
                    for which in reversed(range(len(counts))):
                        if not counts[which]:
                            self._deliver(index, which)
                self.calls_are_where_their_notifications_say()
                for index, lifecycle in enumerate(self.lifecycles):
                    ended_call_check(Call.objects.get(pk=self.pks[index]), lifecycle)
                Figures.stored += CallEvent.objects.count()
                Figures.expected_debits += len(self.lifecycles)
                Figures.made += UsageEntry.objects.count()
                Figures.double += doubly_debited()
        finally:
            transaction.savepoint_rollback(self.savepoint)


@pytest.mark.reliability
@pytest.mark.django_db
def test_any_delivery_order_with_duplicates_ends_every_call_right(member) -> None:
    DeliveryMachine.member = member
    for name in ("sent", "duplicated", "reordered", "stored", "expected_debits", "made", "double"):
        setattr(Figures, name, 0)

    run_state_machine_as_test(
        DeliveryMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

    record(
        "notifications",
        sent=Figures.sent,
        duplicated=Figures.duplicated,
        reordered=Figures.reordered,
        stored=Figures.stored,
        lost=Figures.sent - Figures.stored,
    )
    record("debits", expected=Figures.expected_debits, made=Figures.made, double=Figures.double)
    assert Figures.sent == Figures.stored
    assert Figures.made == Figures.expected_debits and Figures.double == 0
