"""Every call lifecycle, delivered in any order with any duplicates, ends exactly as it says.

A Hypothesis state machine places a few calls, each with the lifecycle the operator will report
(the sandbox's scenarios: ringing, connected or not, how it ended, the recording's result), then
delivers any of their notifications -- not yet sent, or again -- in any order, interleaving the
calls, through the real notify endpoint. After every delivery: a status only moved forward and is
the furthest one delivered, an ended call carries the Disconnected's facts and exactly one debit,
the pool's balance and the rollups equal the ledger, and every notification sent is kept.

The lifecycles, and the checks of an ended call and of the ledger, are in tests/calls/helpers.py
(tests/calls/test_delivery_concurrent.py uses them too).
"""

from __future__ import annotations

import pytest
from django.db import transaction
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
from members.models import UsageEntry
from tests.calls.helpers import (
    AUTH,
    KINDS,
    RANK,
    Lifecycle,
    call_place,
    doubly_debited,
    ended_call_check,
    ledger_check,
    lifecycle_make,
)
from tests.reliability import record

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
        # How many examples, and how many steps each: the profile's (tests/conftest.py).
        settings=settings(
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
