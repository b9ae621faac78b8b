"""The magic callee numbers and the call each one plays out.

Like the test card numbers of payment providers, a callee number chooses what the "network" does,
so every branch of the portal's call handling (busy, no answer, refusals, lost answers...) can be
reached on demand. Times are nominal seconds after the begin request; the operator multiplies them
by its ``time_scale`` so tests can run a 25-second call in a quarter of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.errors import (
    ENGINE_TIMEOUT,
    INTERNAL_SERVICE_ERROR,
    SERVICE_UNAVAILABLE,
    TRAFFIC_CONTROL_FAILURE,
    USER_IN_BLACKLIST,
    USER_NOT_EXIST_IN_STATUS,
    USER_STATUS_ERROR_IN_CHINESE,
    OperatorError,
)
from sandbox.shapes import RECORDING_PLACEMENTS, SEED_NOTIFICATION, NotificationShape

CALLING_CALLER = "CallingCaller"
CALLING_CALLEE = "CallingCallee"
CONNECTED = "Connected"
DISCONNECTED = "Disconnected"

#: Magic numbers are compared on their last 11 digits, so ``+8613800000002``, ``8613800000002``
#: and ``13800000002`` all choose the same scenario whatever number format the portal sends.
MATCH_DIGITS = 11


@dataclass(frozen=True)
class Scenario:
    """What happens after a begin request.

    ``progress`` lists the non-final notifications as ``(nominal seconds, status)``; the final
    Disconnected comes at ``end_at`` with ``end_reason`` unless the call is released first.
    ``begin_error`` answers the begin request with an error: no call is placed, unless
    ``placed_despite_error`` (the operator timed out inside but the call went ahead).
    """

    name: str
    summary: str
    progress: tuple[tuple[float, str], ...] = ()
    end_at: float = 0.0
    end_reason: str = "HangUp"
    recording: str = "Success"  # the result when the call connected: "Success" or "Fail"
    begin_error: OperatorError | None = None
    placed_despite_error: bool = False
    slow_begin: bool = False
    # How many recording downloads fail (500 Internal Service Error) before one succeeds.
    download_failures: int = 0
    # How the recording is sent: a key of shapes.RECORDING_PLACEMENTS ("top", as the seed's
    # markdown has it; "result" or "bare_result", as its OpenAPI file can be read), or "corrupt"
    # (at the top, and not base64).
    filedata: str = "top"
    # How the v1 notifications are written and sent (CAMARA's events keep their own shape).
    notification: NotificationShape = SEED_NOTIFICATION
    # The call is given the callidentifier of an earlier call that has ended, as some platforms
    # recycle them; a fresh one when none has ended yet.
    reuses_identifier: bool = False

    def __post_init__(self) -> None:
        if self.filedata != "corrupt" and self.filedata not in RECORDING_PLACEMENTS:
            raise ValueError(f"unknown recording placement: {self.filedata}")
        if self.placed_despite_error and self.begin_error is None:
            raise ValueError("placed_despite_error needs a begin_error to answer with")

    @property
    def places_call(self) -> bool:
        """Whether a begin request puts a call through (whatever it answers)."""
        return self.begin_error is None or self.placed_despite_error

    @property
    def talk_seconds(self) -> int:
        """Nominal connected time when the call ends on its own (0 if it never connects)."""
        connected = [at for at, status in self.progress if status == CONNECTED]
        return round(self.end_at - connected[0]) if connected else 0


_RINGING = ((0.5, CALLING_CALLER), (2.5, CALLING_CALLEE))
_ANSWERED = (*_RINGING, (5.0, CONNECTED))

NORMAL = Scenario("normal", "Rings both, connects, hangs up after 20 s of talk.", _ANSWERED, 25.0)

SCENARIOS: dict[str, Scenario] = {
    "13800000001": NORMAL,
    "13800000002": Scenario("callee_busy", "The callee is busy.", _RINGING, 3.5, "CalleeBusy"),
    "13800000003": Scenario(
        "callee_no_answer", "The callee rings 15 s unanswered.", _RINGING, 17.5, "CalleeNoAnswer"
    ),
    "13800000004": Scenario(
        "caller_no_answer",
        "The caller (the member) never answers.",
        ((0.5, CALLING_CALLER),),
        15.0,
        "CallerNoAnswer",
    ),
    "13800000005": Scenario(
        "caller_abandon",
        "The caller hangs up while the callee rings.",
        _RINGING,
        5.0,
        "CallerAbandon",
    ),
    "13800000006": Scenario(
        "long_call", "Connects and talks until released (at most 3600 s).", _ANSWERED, 3605.0
    ),
    "13800000007": Scenario(
        "recording_failure",
        "A normal call whose recording fails.",
        _ANSWERED,
        25.0,
        recording="Fail",
    ),
    "13800000008": Scenario(
        "begin_refused", "Begin refused: 400 User In Blacklist.", begin_error=USER_IN_BLACKLIST
    ),
    "13800000009": Scenario(
        "operator_error",
        "Begin fails: 500 Internal Service Error.",
        begin_error=INTERNAL_SERVICE_ERROR,
    ),
    "13800000010": Scenario(
        "unavailable", "Begin fails: 503 Service Unavailable.", begin_error=SERVICE_UNAVAILABLE
    ),
    "13800000011": Scenario(
        "slow_begin",
        "A normal call whose begin answer is held back begin_delay_slow seconds.",
        _ANSWERED,
        25.0,
        slow_begin=True,
    ),
    "13800000012": Scenario(
        "traffic_control",
        "Begin refused: 403 Traffic Control Failure.",
        begin_error=TRAFFIC_CONTROL_FAILURE,
    ),
    "13800000013": Scenario(
        "flaky_recording_download",
        "A normal call whose recording download fails twice (500), then succeeds.",
        _ANSWERED,
        25.0,
        download_failures=2,
    ),
    "13800000014": Scenario(
        "corrupt_recording",
        "A normal call whose recording download always sends filedata that is not base64.",
        _ANSWERED,
        25.0,
        filedata="corrupt",
    ),
    "13800000015": Scenario(
        "recording_in_result",
        "A normal call whose recording download puts filedata inside result.",
        _ANSWERED,
        25.0,
        filedata="result",
    ),
    # What the portal must accept from operators that are not the seed (issue 16).
    "13800000016": Scenario(
        "error_code_in_status",
        'Begin refused: 400 with the code in "status", not "code" (the OpenAPI\'s examples).',
        begin_error=USER_NOT_EXIST_IN_STATUS,
    ),
    "13800000017": Scenario(
        "engine_timeout_but_placed",
        "Begin answered 503 Engine Timeout, yet the call is placed and runs as normal.",
        _ANSWERED,
        25.0,
        begin_error=ENGINE_TIMEOUT,
        placed_despite_error=True,
    ),
    "13800000018": Scenario(
        "chinese_description",
        "Begin refused: 403 User Status Error, described in Chinese.",
        begin_error=USER_STATUS_ERROR_IN_CHINESE,
    ),
    "13800000019": Scenario(
        "duration_as_text",
        'A normal call: callDuration "20" (text), timeStamps without milliseconds.',
        _ANSWERED,
        25.0,
        notification=NotificationShape(timestamp="seconds", duration="string"),
    ),
    "13800000020": Scenario(
        "duration_as_float",
        "A normal call: callDuration 20.0, timeStamps in Beijing time (+08:00).",
        _ANSWERED,
        25.0,
        notification=NotificationShape(timestamp="offset", duration="float"),
    ),
    "13800000021": Scenario(
        "unlisted_reason",
        "Talks 20 s, ends with reason NetworkCongestion; every notification has an extra field.",
        _ANSWERED,
        25.0,
        "NetworkCongestion",
        notification=NotificationShape(extra={"traceId": "sandbox-trace"}),
    ),
    "13800000022": Scenario(
        "chunked_notifications",
        "A normal call whose notifications are sent chunked, without Content-Length.",
        _ANSWERED,
        25.0,
        notification=NotificationShape(chunked=True),
    ),
    "13800000023": Scenario(
        "recording_as_result",
        "A normal call whose recording download puts the base64 itself in result.",
        _ANSWERED,
        25.0,
        filedata="bare_result",
    ),
    "13800000024": Scenario(
        "reused_identifier",
        "A normal call given the callidentifier of the latest call that has ended.",
        _ANSWERED,
        25.0,
        reuses_identifier=True,
    ),
    "13800000025": Scenario(
        "duration_as_decimal_text",
        'A normal call: callDuration "20.0" (text, with decimals).',
        _ANSWERED,
        25.0,
        notification=NotificationShape(duration="decimal_string"),
    ),
}


def scenario_for(callee: str) -> Scenario:
    """The scenario a callee number chooses; any number that is not magic gets the normal call."""
    digits = "".join(ch for ch in callee if ch in "0123456789")
    return SCENARIOS.get(digits[-MATCH_DIGITS:], NORMAL)
