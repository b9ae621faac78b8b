"""The CAMARA Click to Dial API (version 0.1.0-rc.1) as an operator adapter.

The successor of the seed's v1 API, from the CAMARA project (camaraproject/ClickToDial,
``code/API_definitions/click-to-dial.yaml``). The same four operations, as resources:

- begin: ``POST /calls`` with ``{"caller": {"number"}, "callee": {"number"}}`` in E.164, the
  ``sink`` our notifications are to go to and the ``sinkCredential`` (a bearer token the portal
  issued) the operator must present there, and ``recordingEnabled``; answered 201 with the
  ``Call`` resource, whose ``callId`` is the call's identifier here.
- release: ``DELETE /calls/{callId}``, answered 204.
- recording: ``GET /calls/{callId}/recording``, a JSON object whose ``content`` is the audio in
  base64 (streamed to the file as it arrives, as v1's ``filedata``).
- state: ``GET /calls/{callId}``, which v1 has no equivalent of: the portal asks it about calls
  it heard nothing from (``calls.services.calls_expire_silent``).

Errors come as ``{"status", "code", "message"}`` with CAMARA's codes, mapped below to the same
exceptions as v1's (:mod:`operator_api.errors`), so the rest of the portal handles both alike.
Every request carries an ``x-correlator`` (a UUID) that the operator echoes; both are logged.
The seed's sponsor (the business number shown to both parties) has no field here: a CAMARA
operator sets it up for the API consumer when onboarding.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, BinaryIO

import requests
from django.core import signing
from django.utils.translation import gettext_noop

from operator_api.answers import Base64Writer
from operator_api.client import (
    ContactLog,
    OAuthOperator,
    OperatorAnswer,
    OperatorConfig,
    ReleaseOperation,
    TokenStore,
)
from operator_api.errors import (
    AuthenticationFailure,
    CallIdError,
    InternalServiceError,
    InvalidInputValue,
    NumberFormatError,
    OperationError,
    OperatorError,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    TrafficControlFailure,
    UserStatusError,
    error_from_response,
)
from operator_api.notifications import (
    InvalidNotification,
    NotificationStatus,
    RecordingResult,
    StatusNotification,
    parse_status_notification,
)

__all__ = [
    "CAMARA_VERSION",
    "EVENT_TYPE",
    "CamaraEvent",
    "CamaraOperator",
    "CamaraState",
    "SinkCredential",
    "camara_error",
    "parse_camara_event",
    "sink_credential_issue",
    "sink_credential_reference",
]

# Its servers' URL, OPERATOR_API_BASE_URL, is {apiRoot}/click-to-dial/v0.1rc1.
CAMARA_VERSION = "0.1.0-rc.1"


class CamaraState(StrEnum):
    """A call's ``status`` in CAMARA: v1's four, and the two before and instead of them."""

    INITIATING = "initiating"
    CALLING_CALLER = "callingCaller"
    CALLING_CALLEE = "callingCallee"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    FAILED = "failed"


@dataclass(frozen=True)
class SinkCredential:
    """The bearer token the operator is to present when it posts our call's events."""

    access_token: str
    expires_at: datetime

    def as_body(self) -> dict[str, str]:
        expires = self.expires_at.astimezone(UTC).isoformat(timespec="seconds")
        return {
            "credentialType": "ACCESSTOKEN",
            "accessToken": self.access_token,
            "accessTokenExpiresUtc": expires.replace("+00:00", "Z"),
            "accessTokenType": "bearer",
        }


_SINK_SALT = "clicktodial.camara.sink-credential"


def sink_credential_issue(reference: str, *, lifetime: int) -> SinkCredential:
    """A new token for the operator to present with one call's events: the portal's id for the
    call and a random part, signed with SECRET_KEY and dated, so that it is checked with no
    state kept, names the only call it is good for, and runs out."""
    value = f"{reference}.{secrets.token_urlsafe(12)}"
    token = signing.TimestampSigner(salt=_SINK_SALT).sign(value)
    return SinkCredential(token, datetime.now(UTC) + timedelta(seconds=lifetime))


def sink_credential_reference(token: str, *, lifetime: int) -> str | None:
    """The call a token the portal issued less than ``lifetime`` seconds ago is good for (signed
    with SECRET_KEY, or one of SECRET_KEY_FALLBACKS while keys are being rotated); None for
    any other token."""
    try:
        value = signing.TimestampSigner(salt=_SINK_SALT).unsign(token, max_age=lifetime)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    return value.rpartition(".")[0]


# The one type of event CAMARA Click to Dial 0.1 sends (CloudEvents 1.0, structured mode).
EVENT_TYPE = "org.camaraproject.click-to-dial.v0.status-changed"


@dataclass(frozen=True)
class CamaraEvent:
    """A status-changed event: its CloudEvents id (unique per source), its call and what it says."""

    event_id: str
    source: str
    call_id: str
    notification: StatusNotification


_EVENT_ID_MAX = 200


def parse_camara_event(payload: object, *, default_region: str = "CN") -> CamaraEvent:
    """Read one CloudEvent (the decoded JSON object) or raise InvalidNotification naming what is
    wrong. Its ``data`` is v1's notification in other words (``status`` an object of ``state``
    and ``reason``, camelCase values, ``callDuration`` a string): it is read by the same parser,
    so both APIs' notifications mean the same to the portal."""
    if not isinstance(payload, dict):
        raise InvalidNotification(field=None, problem="the event must be a JSON object")
    for name in ("id", "source", "type", "specversion", "data"):
        if payload.get(name) in (None, ""):
            raise InvalidNotification(field=name, problem="is missing")
    if payload["specversion"] != "1.0":
        raise InvalidNotification(field="specversion", problem="must be 1.0")
    if payload["type"] != EVENT_TYPE:
        raise InvalidNotification(field="type", problem=f"must be {EVENT_TYPE}")
    event_id, source = str(payload["id"]), str(payload["source"])
    if len(event_id) > _EVENT_ID_MAX:
        raise InvalidNotification(field="id", problem=f"is over {_EVENT_ID_MAX} characters")
    data = payload["data"]
    if not isinstance(data, dict):
        raise InvalidNotification(field="data", problem="must be an object")
    call_id = data.get("callId")
    if not isinstance(call_id, str) or not call_id.strip():
        raise InvalidNotification(field="data.callId", problem="is missing")
    status = data.get("status")
    if not isinstance(status, dict):
        raise InvalidNotification(field="data.status", problem="must be an object with a state")
    fields = {
        "caller": data.get("caller"),
        "callee": data.get("callee"),
        "status": status.get("state"),
        "reason": status.get("reason"),
        "recordingResult": data.get("recordingResult"),
        "callDuration": data.get("callDuration"),
        "timeStamp": data.get("timestamp") or payload.get("time"),
    }
    notification = parse_status_notification(
        {name: value for name, value in fields.items() if value is not None},
        default_region=default_region,
        statuses=NotificationStatus,
    )
    if notification.recording_result is RecordingResult.SUCCESS:
        # One recording a call, fetched by the call's id: that is its name here.
        notification = replace(notification, recording_id=call_id.strip())
    return CamaraEvent(event_id, source, call_id.strip(), notification)


# CAMARA's error codes (its OpenAPI file and CAMARA_common.yaml) and what each means here. The
# messages are shown to the user who clicked, translated where shown (calls.messages).
_CODES: dict[str, tuple[type[OperatorError], str | None]] = {
    "INVALID_ARGUMENT": (InvalidInputValue, None),
    "OUT_OF_RANGE": (InvalidInputValue, None),
    "UNAUTHENTICATED": (AuthenticationFailure, None),
    "PERMISSION_DENIED": (
        AuthenticationFailure,
        gettext_noop(
            "The operator does not allow the portal this operation. An administrator must check "
            "the portal's access with the operator."
        ),
    ),
    "INVALID_TOKEN_CONTEXT": (AuthenticationFailure, None),
    "NOT_FOUND": (CallIdError, None),
    # A DELETE of a call that has already ended, for instance.
    "CONFLICT": (OperationError, None),
    "CALL_ALREADY_ACTIVE": (
        OperationError,
        gettext_noop(
            "The operator refused the call: a call between these two numbers is already in "
            "progress."
        ),
    ),
    "INVALID_PHONE_NUMBER": (NumberFormatError, None),
    "SAME_CALLER_CALLEE": (
        InvalidInputValue,
        gettext_noop("The operator refused the call: the caller and the callee are one number."),
    ),
    "RECORDING_NOT_SUPPORTED": (
        InvalidInputValue,
        gettext_noop("The operator refused the call: it cannot record this call."),
    ),
    "CALLER_NOT_AVAILABLE": (
        UserStatusError,
        gettext_noop(
            "The operator refused the call: your phone cannot be reached, or may not start "
            "calls, right now."
        ),
    ),
    "CALLEE_NOT_AVAILABLE": (
        UserStatusError,
        gettext_noop(
            "The operator refused the call: the number called cannot be reached, or may not "
            "receive calls, right now."
        ),
    ),
    "TOO_MANY_REQUESTS": (TrafficControlFailure, None),
    "QUOTA_EXCEEDED": (TrafficControlFailure, None),
    "INTERNAL": (InternalServiceError, None),
}


def camara_error(*, http_status: int, code: str | None, message: str | None) -> OperatorError:
    """The exception for a CAMARA error answer. Returned, not raised, as error_from_response."""
    details: dict[str, Any] = {"code": code, "description": message, "http_status": http_status}
    # Whatever the code says: a 503 did not take the request; a 504 may have been acted on.
    if http_status == 503:
        return OperatorUnreachable(**details)
    if http_status == 504:
        return OperatorOutcomeUnknown(**details)
    known = _CODES.get(code or "")
    if known is not None:
        cls, text = known
        return cls(message=text, **details) if text else cls(**details)
    if http_status == 429:
        return TrafficControlFailure(**details)
    # An unknown code: the generic reading by status, with the operator's words.
    return error_from_response(http_status=http_status, code=code, description=message or code)


class CamaraOperator(OAuthOperator):
    """CAMARA Click to Dial over HTTPS, with the same OAuth2 client-credentials token as v1."""

    # The recording resource's audio, in base64.
    RECORDING_PATHS = (("content",),)

    def __init__(
        self,
        config: OperatorConfig,
        *,
        token_store: TokenStore,
        sink_url: str,
        sink_credential: Callable[[str], SinkCredential],
        contacts: ContactLog | None = None,
    ) -> None:
        super().__init__(config, token_store=token_store, contacts=contacts)
        self._sink_url = sink_url
        self._sink_credential = sink_credential

    # The interface ---------------------------------------------------------------------------

    @property
    def asks_for_recording(self) -> bool:
        return True  # recordingEnabled

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        body: dict[str, Any] = {"caller": {"number": caller}, "callee": {"number": callee}}
        if self._sink_url:
            body["sink"] = self._sink_url
            body["sinkCredential"] = self._sink_credential(reference).as_body()
        if record is not None:
            body["recordingEnabled"] = record
        resource = self._send("POST", "/calls", body=body, acts=True)
        call_id = resource.get("callId")
        if not isinstance(call_id, str) or not call_id.strip():
            # The operator said yes, so a call may be ringing, but we cannot tell which one.
            raise OperatorOutcomeUnknown(
                message=gettext_noop(
                    "The operator accepted the call but did not say which call it is. "
                    "The phones may ring."
                ),
                description="no callId in the createCall answer",
                http_status=201,
            )
        return call_id.strip()

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        if ReleaseOperation(operation) != ReleaseOperation.END_CALL:
            raise ValueError("CAMARA can only end a call (DELETE /calls/{callId}).")
        self._send("DELETE", f"/calls/{self._path_segment(callidentifier)}", acts=True)

    def recording_download(
        self, *, callidentifier: str, recording_id: str, destination: BinaryIO
    ) -> int:
        # CAMARA has one recording a call, named by the call: recording_id is not sent.
        writer = Base64Writer(destination)
        self._send(
            "GET",
            f"/calls/{self._path_segment(callidentifier)}/recording",
            acts=False,
            read_timeout=self._config.download_timeout,
            stream_to=writer,
        )
        self._recording_received(writer, answer="recording answer")
        return writer.written

    def call_state(self, *, callidentifier: str) -> CamaraState:
        """The call's state as the operator has it now (``GET /calls/{callId}``)."""
        resource = self._send("GET", f"/calls/{self._path_segment(callidentifier)}", acts=False)
        try:
            return CamaraState(resource.get("status"))
        except ValueError:
            raise OperatorError(
                message=gettext_noop("The operator's answer could not be read. Try again later."),
                description=f"unknown call status {resource.get('status')!r}",
                http_status=200,
                permanent=False,
            ) from None

    # Requests --------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        acts: bool,
        body: dict[str, Any] | None = None,
        read_timeout: float | None = None,
        stream_to: Base64Writer | None = None,
    ) -> dict[str, Any]:
        """Send one request and return the answer's JSON object ({} for a 204).

        A 401 fetches a new token and sends the request once more; a second one raises
        AuthenticationFailure. Anything else that is not 2xx raises the mapped error.
        """
        answer = self._with_token(
            method=method,
            url=self._config.base_url.rstrip("/") + path,
            body=body,
            acts=acts,
            read_timeout=read_timeout,
            stream_to=stream_to,
            headers={"x-correlator": str(uuid.uuid4())},
        )
        if 200 <= answer.status < 300:
            if answer.envelope is not None:
                return answer.envelope
            if answer.status == 204 or method == "DELETE":
                return {}
            raise self._unreadable(answer.status, acts=acts)
        raise self._error(answer.status, answer.envelope)

    @staticmethod
    def _error(status: int, envelope: dict[str, Any] | None) -> OperatorError:
        envelope = envelope or {}
        code, message = envelope.get("code"), envelope.get("message")
        return camara_error(
            http_status=status,
            code=str(code) if code not in (None, "") else None,
            message=str(message) if message not in (None, "") else None,
        )

    @staticmethod
    def _token_refused(answer: OperatorAnswer) -> bool:
        return answer.status == 401  # CAMARA's UNAUTHENTICATED (a code v1 used means nothing)

    @staticmethod
    def _log_note(response: requests.Response) -> str:
        sent = response.request.headers.get("x-correlator")
        echoed = response.headers.get("x-correlator")
        if echoed and echoed != sent:
            return f" (x-correlator {sent}, answered {echoed})"
        return f" (x-correlator {sent})" if sent else ""
