"""The sandbox's memory stays bounded however long it runs: it keeps the last requests,
notifications and calls (every live call, whatever their number), and no recording's bytes."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

from sandbox import SandboxCall, SandboxOperator
from sandbox.memory import CallRegister, RecentList
from sandbox.scenarios import scenario_for

CALLS = 500


def test_five_hundred_calls_leave_only_the_latest_behind(
    make_operator: Callable[..., SandboxOperator],
    api_for: Callable[..., Any],
    portal: Any,
    wait: Callable[..., bool],
) -> None:
    operator = make_operator(time_scale=0.005, calls_kept=50, history_limit=200)
    api = api_for(operator)
    live = api.place("+8613800000006")  # talks until released (18 s here): placed first

    placed = [api.place("+8613800000002") for _ in range(CALLS)]  # busy: 3 notifications each

    assert wait(lambda: len(portal.received) >= 3 + 3 * CALLS, timeout=30)

    def settled() -> bool:  # every busy call's thread done, and the register trimmed back
        others = [call for c, call in list(operator.calls.items()) if c != live]
        return len(others) == 49 and all(call.is_over for call in others)

    assert wait(settled)
    assert len(operator.requests) == 200
    assert len(operator.notifications) == 200
    assert live in operator.calls  # the oldest, yet live: kept
    assert operator.requests[-1].body["callee"] == "+8613800000002"  # the newest are the ones kept
    # A forgotten call answers like one never placed; the live one can still be released.
    forgotten = next(c for c in placed if c not in operator.calls)
    release = api.post(f"/clicktodialrelease/{forgotten}", {"operation": "EndCall"})
    assert release.json()["code"] == "1001002"
    assert api.post(f"/clicktodialrelease/{live}", {"operation": "EndCall"}).status_code == 200


def test_recordings_are_made_on_demand_not_kept(operator: SandboxOperator, api: Any) -> None:
    calls = [api.place("+8613912340000") for _ in range(8)]  # normal calls: 20 s recorded each
    ended = {c: operator.calls[c] for c in calls if operator.wait_for_call_end(c, timeout=5)}
    assert len(ended) == 8

    gc.collect()
    # Only what the sandbox's own code allocates (anywhere under it in the stack): in the same
    # process, other tests' threads (pytest-xdist runs them side by side) allocate meanwhile.
    in_the_sandbox = [tracemalloc.Filter(True, "*/sandbox/*", all_frames=True)]
    tracemalloc.start(25)
    try:
        before = tracemalloc.take_snapshot().filter_traces(in_the_sandbox)
        for callidentifier, call in ended.items():
            response = api.post(
                f"/recordingdownload/{callidentifier}", {"recordingId": call.recording_id}
            )
            assert response.status_code == 200
            del response
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(in_the_sandbox)
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    finally:
        tracemalloc.stop()

    assert grown < 512 * 1024  # eight 320 kB recordings kept would be 2.5 MB
    first = ended[calls[0]]
    assert operator.recordings[first.recording_id] == operator.recordings[first.recording_id]
    assert set(operator.recordings) == {call.recording_id for call in ended.values()}


# -- the structures themselves -------------------------------------------------------------------


def test_a_recent_list_keeps_its_last_items() -> None:
    recent: RecentList[int] = RecentList(3)
    for item in range(10):
        recent.append(item)

    assert recent == [7, 8, 9]


def _call(callidentifier: str, *, over: bool) -> SandboxCall:
    call = SandboxCall(callidentifier, "01052680000", "8613912345673", "1", scenario_for("1"))
    if over:
        call._ended.set()
    return call


def test_the_register_forgets_the_oldest_calls_that_are_over_never_live_ones() -> None:
    register = CallRegister(3)
    register.add(_call("LIVE-1", over=False))
    register.add(_call("LIVE-2", over=False))
    for number in range(5):
        register.add(_call(f"OVER-{number}", over=True))

    assert list(register) == ["LIVE-1", "LIVE-2", "OVER-4"]

    register.add(_call("LIVE-3", over=False))  # more live calls than the limit: all kept
    register.add(_call("LIVE-4", over=False))
    assert list(register) == ["LIVE-1", "LIVE-2", "LIVE-3", "LIVE-4"]


def test_the_calls_over_for_longest_are_forgotten_first() -> None:
    register = CallRegister(3)
    calls = {name: _call(name, over=False) for name in "ABC"}
    for call in calls.values():
        register.add(call)
    for name in "CA":  # C ends first, then A
        calls[name]._ended.set()
        register.mark_over(calls[name])

    register.add(_call("D", over=False))

    assert list(register) == ["B", "A", "D"]
    assert register.latest_over("v1") is calls["A"]


def test_a_reused_identifier_replaces_the_earlier_call() -> None:
    register = CallRegister(10)
    register.add(_call("A", over=True))
    register.add(_call("B", over=True))

    assert register.latest_over("v1") is register["B"]
    register.add(_call("A", over=False))

    assert list(register) == ["B", "A"] and not register["A"].is_over
    assert register.latest_over("v1") is register["B"]
    assert register.latest_over("camara") is None
