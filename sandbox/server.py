"""The sandbox operator: the seed's Click to Dial v1 API and CAMARA's 0.1, over real HTTP.

Why real HTTP and real threads: the portal's hard parts are exactly the ones a mock hides -- tokens
that expire or get revoked, a begin answer that arrives late or never, status notifications that
come back later on their own connection, in order, with Basic credentials, and recordings as base64
audio. This server behaves that way, with timing compressible by ``time_scale`` for tests.

Only the standard library and requests are used, so it runs as its own process with no Django
settings. In strict mode (``SandboxConfig.strict``) it is the least forgiving operator the portal
may meet: nothing beyond the seed's begin fields, only registered sponsors, and no notification
credentials unless it is given some.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote_plus, urlsplit

from sandbox.calls import SandboxCall, utcnow
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
    USER_NOT_EXIST,
    ApiError,
)
from sandbox.memory import CallRegister, RecentList, RecordingView
from sandbox.notifier import Notifier
from sandbox.scenarios import (
    CONNECTED,
    DISCONNECTED,
    MATCH_DIGITS,
    Scenario,
    scenario_for,
)
from sandbox.shapes import RECORDING_PLACEMENTS, SEED_NOTIFICATION, seed_timestamp

log = logging.getLogger("sandbox")

API_PREFIX = "/clicktodial/v1"
# CAMARA Click to Dial 0.1.0-rc.1: its servers' URL is {apiRoot}/click-to-dial/v0.1rc1.
CAMARA_PREFIX = "/click-to-dial/v0.1rc1"
CAMARA_EVENT_TYPE = "org.camaraproject.click-to-dial.v0.status-changed"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
TOKEN_PATH = "/oauth2/token"  # noqa: S105 -- a URL path, not a secret
NOTIFY_PATH = "/clicktodial/v1/clicktodialstatusnotify/{callidentifier}"
MAX_BODY = 1 << 20
_NUMBER = re.compile(r"\+?[0-9]{5,15}")
# The begin request's fields in the seed; the strict sandbox refuses any other.
SEED_BEGIN_FIELDS = frozenset({"sponsor", "caller", "callee"})

DEFAULT_NOTIFY_USERNAME = "sandbox-operator"
DEFAULT_NOTIFY_PASSWORD = "sandbox-notify-secret"  # noqa: S105 -- the documented test value
# The business numbers registered with the sandbox, as the operator wrote them: the seed's example
# and the demo's sales hotline. The strict sandbox accepts these strings only, character for
# character (so 861052680000 is not 01052680000).
DEFAULT_SPONSORS = ("01052680000", "02161230000")
HISTORY_LIMIT = 10_000  # requests, and notifications, kept for tests and for reading
CALLS_KEPT = 2_000  # calls kept once over (live calls are always kept)
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass
class SandboxConfig:
    """How one sandbox operator runs. ``port=0`` picks a free port (what tests want)."""

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"  # noqa: S105 -- the sandbox's documented test value
    notify_url: str = "http://127.0.0.1:8000" + NOTIFY_PATH
    # HTTP Basic credentials sent with notifications. None means not configured: the defaults
    # above are sent then, except in strict mode, which sends none (see notify_credentials).
    notify_username: str | None = None
    notify_password: str | None = None
    time_scale: float = 1.0  # multiplies every scenario delay
    token_ttl: int = 3600  # seconds an access token lives
    begin_delay_slow: float = 30.0  # real seconds the slow-begin answer is held (not scaled)
    # The least forgiving operator: begin fields beyond the seed's refused, sponsors that are not
    # registered refused, no notification credentials unless configured.
    strict: bool = False
    sponsors: tuple[str, ...] = DEFAULT_SPONSORS  # registered sponsors (checked when strict)
    history_limit: int = HISTORY_LIMIT
    calls_kept: int = CALLS_KEPT

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        if self.history_limit < 1 or self.calls_kept < 1:
            raise ValueError("history_limit and calls_kept must be at least 1")

    @property
    def notify_credentials(self) -> tuple[str, str] | None:
        """The (username, password) notifications carry, or None to send them without any."""
        configured = self.notify_username is not None or self.notify_password is not None
        if self.strict and not configured:
            return None
        username = DEFAULT_NOTIFY_USERNAME if self.notify_username is None else self.notify_username
        password = DEFAULT_NOTIFY_PASSWORD if self.notify_password is None else self.notify_password
        return username, password

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SandboxConfig:
        """The configuration ``python -m sandbox`` uses; variable names match the portal's."""
        portal = environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        listed = environ.get("SANDBOX_SPONSORS", ",".join(DEFAULT_SPONSORS)).split(",")
        sponsors = [sponsor.strip() for sponsor in listed if sponsor.strip()]
        # The portal's own sponsor is one the enterprise registered, so the operator knows it.
        if environ.get("OPERATOR_SPONSOR") and environ["OPERATOR_SPONSOR"] not in sponsors:
            sponsors.append(environ["OPERATOR_SPONSOR"])
        return cls(
            host=environ.get("SANDBOX_HOST", "127.0.0.1"),
            port=int(environ.get("SANDBOX_PORT", "8100")),
            client_id=environ.get("OPERATOR_CLIENT_ID", "sandbox-client"),
            client_secret=environ.get("OPERATOR_CLIENT_SECRET", "sandbox-secret"),
            notify_url=portal + NOTIFY_PATH,
            # Unset or empty is "not configured": what strict mode needs to tell apart.
            notify_username=environ.get("OPERATOR_NOTIFY_USERNAME") or None,
            notify_password=environ.get("OPERATOR_NOTIFY_PASSWORD") or None,
            time_scale=float(environ.get("SANDBOX_TIME_SCALE", "1.0")),
            strict=environ.get("SANDBOX_STRICT", "").strip().lower() in _TRUE_WORDS,
            sponsors=tuple(sponsors),
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
    sent_at: datetime = field(default_factory=utcnow)


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
        self._lock = threading.Lock()
        # What tests read: the last requests received and notifications sent, in order, and the
        # calls (every live one, and the latest that are over) -- all bounded (sandbox/memory.py).
        self.requests: RecentList[ReceivedRequest] = RecentList(config.history_limit)
        self.notifications: RecentList[SentNotification] = RecentList(config.history_limit)
        self.calls = CallRegister(config.calls_kept)
        # Every kept call's recording by recordingId: the exact audio a download sends.
        self.recordings = RecordingView(self.calls, self._lock)
        self._placed = itertools.count()  # numbers calls in the order placed (their tones)
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._notifier = Notifier()
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
        self._notifier.close()

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
        body = response.body
        outcome = body.get("code") or body.get("status") or body.get("error") or "ok"
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
        request = ReceivedRequest(method, target, dict(headers), body, utcnow())
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
        strict = self.config.strict
        if strict and not data.keys() <= SEED_BEGIN_FIELDS:
            raise ApiError(INVALID_INPUT)  # e.g. "record": the seed's begin has no such field
        sponsor, caller, callee = _required(data, "sponsor", "caller", "callee")
        if not all(_NUMBER.fullmatch(number) for number in (sponsor, caller, callee)):
            raise ApiError(NUMBER_FORMAT_ERROR)
        if strict and sponsor not in self.config.sponsors:
            raise ApiError(USER_NOT_EXIST)  # not a business number registered with us
        if caller.lstrip("+")[-MATCH_DIGITS:] == callee.lstrip("+")[-MATCH_DIGITS:]:
            raise ApiError(DIRECTION_ERROR)
        record = _record_flag(data.get("record", 1))
        scenario = scenario_for(callee)
        if not scenario.places_call:
            raise ApiError(scenario.begin_error)
        call = self._place_call(sponsor, caller, callee, scenario, record=record)
        if scenario.begin_error is not None:
            raise ApiError(scenario.begin_error)  # the call rings all the same
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
        placement = call.scenario.filedata
        if placement == "corrupt":
            return _Response(200, {**SUCCESS, "filedata": CORRUPT_FILEDATA})
        filedata = base64.b64encode(call.recording_audio()).decode("ascii")
        return _Response(200, {**SUCCESS, **RECORDING_PLACEMENTS[placement](filedata)})

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
        refusal = None
        if scenario.begin_error is not None:
            refusal = CAMARA_FOR_V1.get(scenario.begin_error, CAMARA_INVALID_ARGUMENT)
        if not scenario.places_call:
            raise ApiError(refusal)
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
        if refusal is not None:
            raise ApiError(refusal)  # the call rings all the same
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
        if call.scenario.filedata == "corrupt":
            content = CORRUPT_FILEDATA
        else:
            content = base64.b64encode(call.recording_audio()).decode("ascii")
        body = {
            "callId": call_id,
            "content": content,
            "contentType": "audio/wav",
            "generatedAt": seed_timestamp(call.ended_at or utcnow()),
        }
        return _Response(200, body)

    @staticmethod
    def _camara_resource(call: SandboxCall) -> dict[str, Any]:
        return {
            "callId": call.callidentifier,
            "caller": {"number": call.caller},
            "callee": {"number": call.callee},
            "status": _CAMARA_STATES[call.state],
            "createdAt": seed_timestamp(call.created_at),
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
                    call.connected_at, call._connected = utcnow(), time.monotonic()
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
        with self._lock:
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

    def _notification_body(self, call: SandboxCall) -> dict[str, Any]:
        """The v1 notification for the call's state now, in its scenario's shape (the caller
        holds the lock). CAMARA's events are made from the seed's shape."""
        shape = call.scenario.notification if call.api == "v1" else SEED_NOTIFICATION
        body: dict[str, Any] = {"caller": call.caller, "callee": call.callee, "status": call.state}
        if call.state == DISCONNECTED:
            body["reason"] = call.reason
            body["callDuration"] = shape.write_duration(call.call_duration or 0)
            if call.recording_result is not None:
                body["recordingResult"] = call.recording_result
            if call.recording_id is not None:
                body["recordingId"] = call.recording_id
        body["timeStamp"] = shape.write_timestamp(utcnow())
        body.update(shape.extra)
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
        )
        with self._lock:
            self.notifications.append(sent)
        outcome = delivery.status_code if delivery.error is None else delivery.error
        status = body["data"]["status"]["state"] if call.api == "camara" else body["status"]
        log.info("notify %s %s -> %s", call.callidentifier, status, outcome)


# -- HTTP plumbing -------------------------------------------------------------------------------


# What the corrupt-recording scenario sends: it starts like a WAV, then is not base64 at all.
CORRUPT_FILEDATA = "UklGRi4uLi4=!!not base64!!"

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
    # A load test opens many connections at once; the default backlog of 5 would reset some.
    request_queue_size = 128

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
