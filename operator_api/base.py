"""What the rest of the portal sees of the operator, whichever API it speaks: the adapter
interface, how it is configured, and the neutral types its answers and notifications become.

Nothing here knows a wire format; each API's package (:mod:`operator_api.v1`,
:mod:`operator_api.camara`) turns its own into these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO, Protocol, runtime_checkable

from operator_api.numbers import NumberFormat


class TokenAuth(StrEnum):
    """Where the client credentials go when asking for a token (RFC 6749 §2.3.1)."""

    # In the form body, as the seed's curl example does.
    POST = "client_secret_post"
    # As HTTP Basic, as RFC 6749 prefers.
    BASIC = "client_secret_basic"


class ReleaseOperation(StrEnum):
    CONTINUE = "Continue"
    END_CALL = "EndCall"


@dataclass(frozen=True)
class OperatorConfig:
    """Where the operator is and how to talk to it (built from settings by ``get_operator``)."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    token_auth: str = TokenAuth.POST.value
    number_format: str = NumberFormat.DIGITS.value
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # The seed warns that recording downloads need "HTTP long latency".
    download_timeout: float = 300.0
    # Seconds before its expiry at which a token is considered stale and fetched again.
    token_refresh_margin: int = 60
    # The begin request's field that asks for the call to be recorded, 0 or 1 (the operator's
    # earlier API calls it "record"). Empty, the default: the seed has none, so the begin
    # carries only its three fields and the operator decides.
    record_field: str = ""

    def __post_init__(self) -> None:
        if self.token_auth not in {method.value for method in TokenAuth}:
            raise ValueError(
                f"Unknown operator token authentication '{self.token_auth}'; "
                f"use one of {', '.join(TokenAuth)}."
            )
        # Raises ValueError for an unknown format, at configuration time rather than mid-call.
        NumberFormat(self.number_format)
        for name in ("connect_timeout", "read_timeout", "download_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Operator {name} must be positive.")

    def __repr__(self) -> str:
        # The secret must not end up in logs or error reports through a repr.
        return (
            f"OperatorConfig(base_url={self.base_url!r}, token_url={self.token_url!r}, "
            f"client_id={self.client_id!r}, token_auth={self.token_auth!r}, "
            f"number_format={self.number_format!r})"
        )


@runtime_checkable
class ClickToDialOperator(Protocol):
    """What the portal needs from an operator. Numbers are E.164; errors are OperatorError."""

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        """Ask the operator to ring ``caller`` then ``callee``; return the callidentifier.

        ``record``: ask for the call to be recorded (True) or not (False); None says nothing.
        ``reference``: the portal's own id for the call (CAMARA binds the credential its events
        come with to it; v1 has no use for it).
        """
        ...

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        """End (or continue) a call in progress."""
        ...

    def recording_download(
        self, *, callidentifier: str, recording_id: str, destination: BinaryIO
    ) -> int:
        """Write the call's recording (decoded audio) to ``destination``; return the bytes.

        The audio is written as it arrives. When this raises, ``destination`` may hold part of
        it: write to a temporary file and keep it only on success.
        """
        ...

    def access_token_check(self, *, timeout: float) -> None:
        """Hold a valid access token, asking (for at most ``timeout`` seconds) for one if none
        is kept: the readiness check."""
        ...

    @property
    def asks_for_recording(self) -> bool:
        """Whether a begin can ask for the call to be recorded or not (``record``); when it
        cannot, the operator decides."""
        ...

    def call_state(self, *, callidentifier: str) -> CallState | None:
        """Where the call stands at the operator now; None when the API cannot be asked (v1)."""
        ...

    def last_contact(self) -> tuple[float | None, tuple[float, str] | None]:
        """When the operator last answered any process, and when and how it last failed."""
        ...


class NotificationStatus(StrEnum):
    # CAMARA's first state: the operator has taken the request and is setting the call up.
    INITIATING = "Initiating"
    CALLING_CALLER = "CallingCaller"
    CALLING_CALLEE = "CallingCallee"
    CONNECTED = "Connected"
    DISCONNECTED = "Disconnected"
    # CAMARA's: the call could not be set up (v1 has no such notification).
    FAILED = "Failed"


class DisconnectReason(StrEnum):
    HANG_UP = "HangUp"
    CALLER_BUSY = "CallerBusy"
    CALLER_NO_ANSWER = "CallerNoAnswer"
    CALLER_FAILURE = "CallerFailure"
    CALLER_ABANDON = "CallerAbandon"
    CALLEE_BUSY = "CalleeBusy"
    CALLEE_NO_ANSWER = "CalleeNoAnswer"
    CALLEE_FAILURE = "CalleeFailure"
    OTHER = "Other"


class RecordingResult(StrEnum):
    SUCCESS = "Success"
    NO_RECORD = "NoRecord"
    FAIL = "Fail"


@dataclass(frozen=True)
class StatusNotification:
    """One status notification, normalised: numbers in E.164, time an aware UTC datetime.

    ``reason`` is the operator's word as sent (one of DisconnectReason's, in its own spelling,
    when it is one of them); ``disconnect_reason`` what it means.
    """

    caller: str
    callee: str
    status: NotificationStatus
    reason: str | None
    call_duration: int | None
    recording_result: RecordingResult | None
    recording_id: str | None
    timestamp: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def disconnect_reason(self) -> DisconnectReason | None:
        """The reason's meaning: one of the seed's, ``Other`` for any other word."""
        if self.reason is None:
            return None
        try:
            return DisconnectReason(self.reason)
        except ValueError:
            return DisconnectReason.OTHER


class InvalidNotification(ValueError):
    """The notification cannot be understood; ``field`` names the offending field."""

    def __init__(self, *, field: str | None, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


class CallState(StrEnum):
    """Where a call stands at the operator, when its API can be asked (``call_state``)."""

    INITIATING = "initiating"
    CALLING_CALLER = "calling_caller"
    CALLING_CALLEE = "calling_callee"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    FAILED = "failed"


@dataclass(frozen=True)
class OperatorEvent:
    """One notification as the rest of the portal reads it, from either API: the operator's
    identifier of the call (``callidentifier``), what it says, and, where the API gives events an
    identity (CAMARA's CloudEvents), its ``source`` and ``event_id`` (empty for v1)."""

    callidentifier: str
    notification: StatusNotification
    source: str = ""
    event_id: str = ""


def json_object(body: bytes) -> object:
    """A notification's body decoded: JSON in UTF-8 (a BOM tolerated), as RFC 8259 says systems
    exchange it (``json.loads(bytes)`` would also guess UTF-16/32). Raises ValueError for what is
    not JSON, InvalidNotification for an escaped NUL: no database column takes one, so keeping
    it would fail and the operator would resend it for ever."""
    try:
        payload = json.loads(body.decode("utf-8-sig"))
    except RecursionError:
        raise InvalidNotification(field="body", problem="is nested too deeply") from None
    if "\\u0000" in json.dumps(payload):
        raise InvalidNotification(field="body", problem="contains a NUL character")
    return payload
