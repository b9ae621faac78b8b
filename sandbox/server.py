"""The sandbox operator: the seed's Click to Dial v1 API and CAMARA's 0.1, over real HTTP.

Why real HTTP and real threads: the portal's hard parts are exactly the ones a mock hides -- tokens
that expire or get revoked, a begin answer that arrives late or never, status notifications that
come back later on their own connection, in order, with Basic credentials, and recordings as base64
audio. This server behaves that way, with timing compressible by ``time_scale`` for tests.

Only the standard library and httpx are used, so it runs as its own process with no Django settings.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote_plus, urlsplit

import httpx

from sandbox.audio import tone_wav
from sandbox.errors import (
    AUTHENTICATION_FAILURE,
    CALL_ID_ERROR,
    CAMARA_CALL_ENDED,
    CAMARA_FOR_V1,
    CAMARA_INVALID_ARGUMENT,
    CAMARA_INVALID_PHONE_NUMBER,
    CAMARA_METHOD_NOT_ALLOWED,
    CAMARA_NOT_FOUND,
    CAMARA_SAME_CALLER_CALLEE,
    CAMARA_UNAUTHENTICATED,
    DIRECTION_ERROR,
    INTERNAL_SERVICE_ERROR,
    INVALID_INPUT,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    NUMBER_FORMAT_ERROR,
    OPERATION_ERROR,
    SUCCESS,
    ApiError,
)
from sandbox.scenarios import (
    CONNECTED,
    DISCONNECTED,
    MATCH_DIGITS,
    Scenario,
    scenario_for,
)

log = logging.getLogger("sandbox")

API_PREFIX = "/clicktodial/v1"
# CAMARA Click to Dial 0.1.0-rc.1: its servers' URL is {apiRoot}/click-to-dial/v0.1rc1.
CAMARA_PREFIX = "/click-to-dial/v0.1rc1"
CAMARA_EVENT_TYPE = "org.camaraproject.click-to-dial.v0.status-changed"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
TOKEN_PATH = "/oauth2/token"  # noqa: S105 -- a URL path, not a secret
NOTIFY_PATH = "/clicktodial/v1/clicktodialstatusnotify/{callidentifier}"
NOTIFY_TIMEOUT = 10.0  # seconds per notification POST
MAX_RECORDING_SECONDS = 30
MAX_BODY = 1 << 20
_NUMBER = re.compile(r"\+?[0-9]{5,15}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """The seed's ``YYYY-MM-DDThh:mm:ss.SSSZ``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class SandboxConfig:
    """How one sandbox operator runs. ``port=0`` picks a free port (what tests want)."""

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"  # noqa: S105 -- the sandbox's documented test value
    notify_url: str = "http://127.0.0.1:8000" + NOTIFY_PATH
    notify_username: str = "sandbox-operator"
    notify_password: str = "sandbox-notify-secret"  # noqa: S105 -- documented test value
    time_scale: float = 1.0  # multiplies every scenario delay
    token_ttl: int = 3600  # seconds an access token lives
    begin_delay_slow: float = 30.0  # real seconds the slow-begin answer is held (not scaled)

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SandboxConfig:
        """The configuration ``python -m sandbox`` uses; variable names match the portal's."""
        portal = environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        return cls(
            host=environ.get("SANDBOX_HOST", "127.0.0.1"),
            port=int(environ.get("SANDBOX_PORT", "8100")),
            client_id=environ.get("OPERATOR_CLIENT_ID", "sandbox-client"),
            client_secret=environ.get("OPERATOR_CLIENT_SECRET", "sandbox-secret"),
            notify_url=portal + NOTIFY_PATH,
            notify_username=environ.get("OPERATOR_NOTIFY_USERNAME", "sandbox-operator"),
            notify_password=environ.get("OPERATOR_NOTIFY_PASSWORD", "sandbox-notify-secret"),
            time_scale=float(environ.get("SANDBOX_TIME_SCALE", "1.0")),
        )


@dataclass
class ReceivedRequest:
    """One request as it arrived (body parsed as JSON when it is JSON, else the text)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | str | None
    received_at: datetime


@dataclass
class SentNotification:
    """One status notification and what the portal answered (or why it could not)."""

    callidentifier: str
    body: dict[str, Any]
    status_code: int | None
    response_body: str | None
    error: str | None
    url: str = ""
    sent_at: datetime = field(default_factory=_utcnow)


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
    created_at: datetime = field(default_factory=_utcnow)
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


@dataclass
class _Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class SandboxOperator:
    """The operator: HTTP endpoints, tokens, calls and their notification threads.

    Each call has one daemon thread that sleeps until its next scheduled status and sends the
    notification itself, so a call's notifications are always sent in order, one at a time, and
    a slow portal only delays its own call. EndCall decides the end under the lock and wakes that
    thread, which then sends the Disconnected.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.requests: list[ReceivedRequest] = []
        self.notifications: list[SentNotification] = []
        self.calls: dict[str, SandboxCall] = {}
        # Every recording sent, by recordingId: the exact audio bytes the portal should store.
        self.recordings: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._stopping = threading.Event()
        self._server: _Server | None = None
        # trust_env=False: a developer's HTTP(S)_PROXY must not reroute callbacks to the portal.
        self._http = httpx.Client(timeout=NOTIFY_TIMEOUT, trust_env=False)
        self._routes: list[tuple[re.Pattern[str], Callable[..., _Response]]] = [
            (re.compile(API_PREFIX + r"/clicktodialbegin"), self._begin),
            (re.compile(API_PREFIX + r"/clicktodialrelease/([^/]+)"), self._release),
            (re.compile(API_PREFIX + r"/recordingdownload/([^/]+)"), self._download),
        ]
        # CAMARA's: (method, path) -> endpoint.
        self._camara_routes: list[tuple[str, re.Pattern[str], Callable[..., _Response]]] = [
            ("POST", re.compile(CAMARA_PREFIX + r"/calls"), self._camara_create),
            # An empty callId ("/calls/") is answered 400, as CAMARA's test definitions ask.
            ("GET", re.compile(CAMARA_PREFIX + r"/calls/([^/]*)"), self._camara_get),
            ("DELETE", re.compile(CAMARA_PREFIX + r"/calls/([^/]*)"), self._camara_delete),
            (
                "GET",
                re.compile(CAMARA_PREFIX + r"/calls/([^/]*)/recording"),
                self._camara_recording,
            ),
        ]

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen, and serve in a daemon thread; returns once the socket is bound."""
        if self._server is not None:
            raise RuntimeError("the sandbox operator is already started")
        self._server = _Server((self.config.host, self.config.port), self)
        # A short poll interval makes stop() quick, which matters to tests that start many.
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http"
        )
        thread.daemon = True
        thread.start()

    def stop(self) -> None:
        """Stop serving and silence every pending call (no more notifications are sent)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            for call in self.calls.values():
                call._cancelled = True
                call._wake.set()
        self._http.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox operator is not started")
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        host = self.config.host if self.config.host not in ("", "0.0.0.0") else "127.0.0.1"  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def camara_base_url(self) -> str:
        """Where CAMARA Click to Dial 0.1 is served: {apiRoot}/click-to-dial/v0.1rc1."""
        return self.origin + CAMARA_PREFIX

    @property
    def token_url(self) -> str:
        return self.origin + TOKEN_PATH

    def revoke_tokens(self) -> None:
        """Invalidate every issued token, as an operator may at any time."""
        with self._lock:
            self._tokens.clear()

    def wait_for_call_end(self, callidentifier: str, timeout: float = 10.0) -> bool:
        """Block until the call's Disconnected notification has been sent (answered or not)."""
        call = self.calls.get(callidentifier)
        return call is not None and call._ended.wait(timeout)

    # -- HTTP dispatch ---------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> _Response:
        """Answer one HTTP request (called by the request handler, one thread per connection)."""
        self._record(method, target, headers, raw)
        lowered = {name.lower(): value for name, value in headers.items()}
        path = urlsplit(target).path
        try:
            response = self._route(method, path, lowered, raw)
        except ApiError as exc:
            response = _Response(exc.error.status, exc.error.body())
            if exc.error in (AUTHENTICATION_FAILURE, CAMARA_UNAUTHENTICATED):
                response.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
        if "x-correlator" in lowered:  # CAMARA: echoed
            response.headers["x-correlator"] = lowered["x-correlator"]
        outcome = response.body.get("code") or response.body.get("error") or "ok"
        log.info("%s %s -> %s %s", method, path, response.status, outcome)
        return response

    def _record(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        body: dict[str, Any] | str | None = text or None
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            body = parsed
        request = ReceivedRequest(method, target, dict(headers), body, _utcnow())
        with self._lock:
            self.requests.append(request)

    def _route(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> _Response:
        if path == TOKEN_PATH:
            if method != "POST":
                return _Response(405, {"error": "invalid_request"}, {"Allow": "POST"})
            return self._issue_token(headers, raw)
        if path == "/healthz" and method == "GET":
            return _Response(200, {"status": "ok"})
        if path.startswith(CAMARA_PREFIX + "/"):
            return self._camara_route(method, path, headers, raw)
        for pattern, endpoint in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != "POST":
                raise ApiError(METHOD_NOT_ALLOWED)
            self._authenticate(headers)
            return endpoint(_json_object(raw), *match.groups())
        raise ApiError(NOT_FOUND)

    # -- OAuth2 ----------------------------------------------------------------------------------

    def _issue_token(self, headers: dict[str, str], raw: bytes) -> _Response:
        """Client-credentials grant; credentials by HTTP Basic or in the form (RFC 6749 §2.3.1)."""
        form = _form(raw)
        basic = _basic_credentials(headers.get("authorization", ""))
        in_form = (form.get("client_id", ""), form.get("client_secret", ""))
        client_id, client_secret = basic or in_form
        if not self._client_ok(client_id, client_secret):
            return _Response(
                401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="sandbox"'}
            )
        grant = form.get("grant_type")
        if not grant:
            return _Response(400, {"error": "invalid_request"})
        if grant != "client_credentials":
            return _Response(400, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.config.token_ttl
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.config.token_ttl}
        return _Response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _client_ok(self, client_id: str, client_secret: str) -> bool:
        # RFC 6749 §2.3.1 form-encodes Basic credentials; most clients do not. Accept both.
        decoded = (unquote_plus(client_id), unquote_plus(client_secret))
        for cid, secret in {(client_id, client_secret), decoded}:
            id_ok = hmac.compare_digest(cid.encode(), self.config.client_id.encode())
            secret_ok = hmac.compare_digest(secret.encode(), self.config.client_secret.encode())
            if id_ok and secret_ok:
                return True
        return False

    def _authenticate(self, headers: dict[str, str], refusal=AUTHENTICATION_FAILURE) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            expiry = self._tokens.get(token)
        if scheme.lower() != "bearer" or expiry is None or expiry <= time.monotonic():
            raise ApiError(refusal)

    # -- the three API endpoints -----------------------------------------------------------------

    def _begin(self, data: dict[str, Any]) -> _Response:
        sponsor, caller, callee = _required(data, "sponsor", "caller", "callee")
        if not all(_NUMBER.fullmatch(number) for number in (sponsor, caller, callee)):
            raise ApiError(NUMBER_FORMAT_ERROR)
        if caller.lstrip("+")[-MATCH_DIGITS:] == callee.lstrip("+")[-MATCH_DIGITS:]:
            raise ApiError(DIRECTION_ERROR)
        record = _record_flag(data.get("record", 1))
        scenario = scenario_for(callee)
        if scenario.begin_error is not None:
            raise ApiError(scenario.begin_error)
        call = self._place_call(sponsor, caller, callee, scenario, record=record)
        if scenario.slow_begin:
            # The call is already under way; only the answer is late (stop() cuts the wait short).
            self._stopping.wait(self.config.begin_delay_slow)
        return _Response(200, {**SUCCESS, "result": {"callidentifier": call.callidentifier}})

    def _release(self, data: dict[str, Any], callidentifier: str) -> _Response:
        (operation,) = _required(data, "operation")
        with self._lock:
            call = self.calls.get(callidentifier)
            if call is None:
                raise ApiError(CALL_ID_ERROR)
            if operation not in ("EndCall", "Continue"):
                raise ApiError(INVALID_INPUT)
            if call.state == DISCONNECTED:
                raise ApiError(OPERATION_ERROR)
            if operation == "EndCall":
                self._finish(call, "HangUp", self._talk_seconds_so_far(call))
                call._wake.set()
        return _Response(200, dict(SUCCESS))

    def _download(self, data: dict[str, Any], callidentifier: str) -> _Response:
        (recording_id,) = _required(data, "recordingId")
        with self._lock:
            call = self.calls.get(callidentifier)
            if call is None:
                raise ApiError(CALL_ID_ERROR)
            if call.recording_id is None or recording_id != call.recording_id:
                raise ApiError(INVALID_INPUT)
            call.download_attempts += 1
            if call.download_attempts <= call.scenario.download_failures:
                raise ApiError(INTERNAL_SERVICE_ERROR)
            seconds = min(call.call_duration or 0, MAX_RECORDING_SECONDS)
        form = call.scenario.filedata
        if form == "corrupt":
            return _Response(200, {**SUCCESS, "filedata": "UklGRi4uLi4=!!not base64!!"})
        audio = tone_wav(seconds, sequence=call.sequence)
        with self._lock:
            self.recordings[recording_id] = audio
        filedata = base64.b64encode(audio).decode("ascii")
        if form == "result":
            return _Response(200, {**SUCCESS, "result": {"filedata": filedata}})
        return _Response(200, {**SUCCESS, "filedata": filedata})

    # -- CAMARA Click to Dial 0.1 ----------------------------------------------------------------

    def _camara_route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> _Response:
        matched = False
        for route_method, pattern, endpoint in self._camara_routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            matched = True
            if method != route_method:
                continue
            self._authenticate(headers, CAMARA_UNAUTHENTICATED)
            if match.groups() and not match.group(1):
                raise ApiError(CAMARA_INVALID_ARGUMENT)  # no callId
            if method == "POST":
                try:
                    data = _json_object(raw)
                except ApiError:
                    raise ApiError(CAMARA_INVALID_ARGUMENT) from None
                return endpoint(data)
            return endpoint(*match.groups())
        raise ApiError(CAMARA_METHOD_NOT_ALLOWED if matched else CAMARA_NOT_FOUND)

    def _camara_create(self, data: dict[str, Any]) -> _Response:
        numbers = []
        for party in ("caller", "callee"):
            value = data.get(party)
            number = value.get("number") if isinstance(value, dict) else None
            if not isinstance(number, str):
                raise ApiError(CAMARA_INVALID_ARGUMENT)
            if not _E164.fullmatch(number):
                raise ApiError(CAMARA_INVALID_PHONE_NUMBER)
            numbers.append(number)
        caller, callee = numbers
        if caller == callee:
            raise ApiError(CAMARA_SAME_CALLER_CALLEE)
        sink, credential = data.get("sink"), data.get("sinkCredential")
        token = credential.get("accessToken") if isinstance(credential, dict) else None
        if sink is not None and (
            not isinstance(sink, str)
            or not sink.startswith(("http://", "https://"))
            or not isinstance(token, str)
            or credential.get("credentialType") != "ACCESSTOKEN"
        ):
            raise ApiError(CAMARA_INVALID_ARGUMENT)
        record = data.get("recordingEnabled", True)
        if not isinstance(record, bool):
            raise ApiError(CAMARA_INVALID_ARGUMENT)
        scenario = scenario_for(callee)
        if scenario.begin_error is not None:
            raise ApiError(CAMARA_FOR_V1.get(scenario.begin_error, CAMARA_INVALID_ARGUMENT))
        call = self._place_call(
            "",
            caller,
            callee,
            scenario,
            record=record,
            api="camara",
            sink=sink or "",
            sink_token=token or "",
        )
        if scenario.slow_begin:
            self._stopping.wait(self.config.begin_delay_slow)
        return _Response(201, self._camara_resource(call))

    def _camara_get(self, call_id: str) -> _Response:
        with self._lock:
            call = self.calls.get(call_id)
            if call is None or call.api != "camara":
                raise ApiError(CAMARA_NOT_FOUND)
            return _Response(200, self._camara_resource(call))

    def _camara_delete(self, call_id: str) -> _Response:
        with self._lock:
            call = self.calls.get(call_id)
            if call is None or call.api != "camara":
                raise ApiError(CAMARA_NOT_FOUND)
            if call.state == DISCONNECTED:
                raise ApiError(CAMARA_CALL_ENDED)
            self._finish(call, "HangUp", self._talk_seconds_so_far(call))
            call._wake.set()
        return _Response(204, {})

    def _camara_recording(self, call_id: str) -> _Response:
        with self._lock:
            call = self.calls.get(call_id)
            if call is None or call.api != "camara" or call.recording_id is None:
                raise ApiError(CAMARA_NOT_FOUND)
            call.download_attempts += 1
            if call.download_attempts <= call.scenario.download_failures:
                raise ApiError(CAMARA_FOR_V1[INTERNAL_SERVICE_ERROR])
            seconds = min(call.call_duration or 0, MAX_RECORDING_SECONDS)
        if call.scenario.filedata == "corrupt":
            content = "UklGRi4uLi4=!!not base64!!"
        else:
            audio = tone_wav(seconds, sequence=call.sequence)
            with self._lock:
                self.recordings[call.recording_id] = audio
            content = base64.b64encode(audio).decode("ascii")
        body = {
            "callId": call_id,
            "content": content,
            "contentType": "audio/wav",
            "generatedAt": _timestamp(call.ended_at or _utcnow()),
        }
        return _Response(200, body)

    @staticmethod
    def _camara_resource(call: SandboxCall) -> dict[str, Any]:
        return {
            "callId": call.callidentifier,
            "caller": {"number": call.caller},
            "callee": {"number": call.callee},
            "status": _CAMARA_STATES[call.state],
            "createdAt": _timestamp(call.created_at),
            "recordingEnabled": call.record,
        }

    # -- calls and notifications -----------------------------------------------------------------

    def _place_call(
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
        with self._lock:
            callidentifier = secrets.token_hex(8).upper()
            while callidentifier in self.calls:
                callidentifier = secrets.token_hex(8).upper()
            call = SandboxCall(
                callidentifier,
                sponsor,
                caller,
                callee,
                scenario,
                sequence=len(self.calls),
                record=record,
                api=api,
                sink=sink,
                sink_token=sink_token,
            )
            self.calls[callidentifier] = call
        thread = threading.Thread(target=self._drive, args=(call,), name=f"call-{callidentifier}")
        thread.daemon = True
        thread.start()
        return call

    def _drive(self, call: SandboxCall) -> None:
        """The call's thread: send each scheduled status, then the Disconnected, in order."""
        scenario = call.scenario
        if call.api == "camara":
            # CAMARA's first event: the call is being set up.
            with self._lock:
                body = self._notification_body(call)
            self._notify(call, body)
        for at, status in scenario.progress:
            if self._sleep_until(call, at):
                break  # released or stopped
            with self._lock:
                if call.state == DISCONNECTED or call._cancelled:
                    break
                call.state = status
                if status == CONNECTED:
                    call.connected_at, call._connected = _utcnow(), time.monotonic()
                body = self._notification_body(call)
            self._notify(call, body)
        else:
            if not self._sleep_until(call, scenario.end_at):
                with self._lock:
                    if call.state != DISCONNECTED:
                        self._finish(call, scenario.end_reason, scenario.talk_seconds)
        with self._lock:
            if call._cancelled or call.state != DISCONNECTED:
                return
            body = self._notification_body(call)
        self._notify(call, body)
        call._ended.set()

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
        call.ended_at = _utcnow()
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

    def _notification_body(self, call: SandboxCall) -> dict[str, Any]:
        body: dict[str, Any] = {"caller": call.caller, "callee": call.callee, "status": call.state}
        if call.state == DISCONNECTED:
            body["reason"] = call.reason
            body["callDuration"] = call.call_duration
            if call.recording_result is not None:
                body["recordingResult"] = call.recording_result
            if call.recording_id is not None:
                body["recordingId"] = call.recording_id
        body["timeStamp"] = _timestamp(_utcnow())
        return body

    def _camara_event(self, call: SandboxCall, body: dict[str, Any]) -> dict[str, Any]:
        """v1's notification body as CAMARA's status-changed CloudEvent."""
        status: dict[str, str] = {"state": _CAMARA_STATES[body["status"]]}
        data: dict[str, Any] = {
            "callId": call.callidentifier,
            "caller": call.caller,
            "callee": call.callee,
            "status": status,
        }
        if body["status"] == DISCONNECTED:
            status["reason"] = _lower_first(body["reason"])
            data["callDuration"] = str(body["callDuration"])
            if "recordingResult" in body:
                data["recordingResult"] = _lower_first(body["recordingResult"])
        data["timestamp"] = body["timeStamp"]
        return {
            "id": str(uuid.uuid4()),
            "source": self.origin + CAMARA_PREFIX,
            "type": CAMARA_EVENT_TYPE,
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "time": body["timeStamp"],
            "data": data,
        }

    def _notify(self, call: SandboxCall, body: dict[str, Any]) -> None:
        """POST one notification once (no retries) and record the outcome, whatever it is."""
        if call.api == "camara":
            if not call.sink:
                return  # no sink given: CAMARA's events are optional
            url = call.sink
            body = self._camara_event(call, body)
            post: dict[str, Any] = {
                "content": json.dumps(body).encode(),
                "headers": {
                    "Content-Type": "application/cloudevents+json",
                    "Authorization": f"Bearer {call.sink_token}",
                },
            }
        else:
            url = self.config.notify_url.replace("{callidentifier}", call.callidentifier)
            auth = (self.config.notify_username, self.config.notify_password)
            post = {"json": body, "auth": auth}
        status_code: int | None = None
        response_body: str | None = None
        error: str | None = None
        try:
            response = self._http.post(url, timeout=NOTIFY_TIMEOUT, **post)
            status_code, response_body = response.status_code, response.text
        except Exception as exc:  # a failed delivery is data for the tests, not a crash
            error = f"{type(exc).__name__}: {exc}"
        sent = SentNotification(call.callidentifier, body, status_code, response_body, error, url)
        with self._lock:
            self.notifications.append(sent)
        outcome = status_code if error is None else error
        status = body["data"]["status"]["state"] if call.api == "camara" else body["status"]
        log.info("notify %s %s -> %s", call.callidentifier, status, outcome)


# -- HTTP plumbing -------------------------------------------------------------------------------


_CAMARA_STATES = {
    "Initiated": "initiating",
    "CallingCaller": "callingCaller",
    "CallingCallee": "callingCallee",
    "Connected": "connected",
    "Disconnected": "disconnected",
}


def _lower_first(word: str) -> str:
    """v1's HangUp, Success as CAMARA writes them: hangUp, success."""
    return word[:1].lower() + word[1:]


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(INVALID_INPUT) from None
    if not isinstance(data, dict):
        raise ApiError(INVALID_INPUT)
    return data


def _record_flag(value: object) -> bool:
    """The begin request's "record" (the operator's earlier API): 0 or 1, as a number or text."""
    if value in (0, 1, "0", "1", True, False):
        return value in (1, "1", True)
    raise ApiError(INVALID_INPUT)


def _required(data: dict[str, Any], *names: str) -> tuple[str, ...]:
    """The named fields, each a non-empty string, or 0000002 Invalid Input Value."""
    values = tuple(data.get(name) for name in names)
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise ApiError(INVALID_INPUT)
    return tuple(str(value) for value in values)


def _form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, first value of each field."""
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """``(id, secret)`` from an HTTP Basic header; None when the header is not Basic."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive connections must not hold up stop()

    def __init__(self, address: tuple[str, int], operator: SandboxOperator) -> None:
        self.operator = operator
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API gateway
    server_version = "SandboxOperator/1.0"
    timeout = 60  # idle keep-alive connections end on their own
    disable_nagle_algorithm = True  # headers and body are two writes; don't stall keep-alive
    server: _Server

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(_Response(400, INVALID_INPUT.body()))
            return
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        self._send(self.server.operator.handle(self.command, self.path, headers, raw))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _send(self, response: _Response) -> None:
        payload = b"" if response.status == 204 else json.dumps(response.body).encode()
        try:
            self.send_response(response.status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. a slow begin timed out)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)
