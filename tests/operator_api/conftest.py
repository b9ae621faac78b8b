"""Fixtures for operator_api: a stub operator that follows the seed, served over real HTTP.

The stub issues OAuth2 tokens and answers begin, release and recording download the way the
seed describes, over HTTP/1.1 with connections kept alive as a real operator's are. A test
scripts the answers it wants for a path (status, JSON body, delay, dropped connection, a body cut
short or stalled half-way); unscripted requests get the seed's happy path. Every request is
recorded so that tests can assert exactly what the operator received.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core.cache.backends.locmem import LocMemCache

from operator_api import (
    AuthenticationFailure,
    CallIdError,
    DirectionError,
    EnginesReturnError,
    EngineTimeout,
    InternalServiceError,
    InvalidInputValue,
    NumberFormatError,
    OperationError,
    OperatorConfig,
    OperatorError,
    PasswordError,
    SeedV1Operator,
    TokenStore,
    UserInBlacklist,
    UserNotExist,
    UserStatusError,
)

API_PREFIX = "/clicktodial/v1"
TOKEN_PATH = "/oauth/token"
CLIENT_ID = "portal-client"
CLIENT_SECRET = "s3cret/with+symbols"
CALLIDENTIFIER = "A010B020"


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None  # JSON-serialised unless bytes
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without answering
    cut: int | None = None  # send only this many bytes of the body (announcing all), then close
    stall: float = 0.0  # with cut: seconds to wait, silent, before closing
    headers: dict[str, str] = field(default_factory=dict)  # sent besides the stub's own


@dataclass
class Received:
    """One request as the stub received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)


@dataclass
class StubOperator:
    """State and script of the stub; the HTTP handler below consults it."""

    url: str = ""
    token_expires_in: int = 3600
    token_delay: float = 0.0
    recordings: dict[str, bytes] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    connections: int = 0  # TCP connections accepted
    _scripts: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    _issued: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return self.url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    # The values tests compare against, here so that test modules need no imports from this one.
    callidentifier: str = CALLIDENTIFIER
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def script(
        self,
        path: str,
        *,
        status: int = 200,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        cut: int | None = None,
        stall: float = 0.0,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Queue an answer for the next ``times`` requests to ``path`` (relative to the API
        base, or the token path); ``body`` is sent as JSON unless it is bytes."""
        full = path if path == TOKEN_PATH else API_PREFIX + path
        reply = Reply(
            status=status,
            body=body,
            delay=delay,
            drop=drop,
            cut=cut,
            stall=stall,
            headers=dict(headers or {}),
        )
        self._scripts[full].extend([reply] * times)

    def received(self, path: str) -> list[Received]:
        full = path if path == TOKEN_PATH else API_PREFIX + path
        return [request for request in self.requests if request.path == full]

    @property
    def token_requests(self) -> list[Received]:
        return self.received(TOKEN_PATH)

    # Answering -------------------------------------------------------------------------------

    def answer(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._scripts.get(request.path)
            if scripted:
                return scripted.popleft()
        if request.path == TOKEN_PATH:
            return self._token(request)
        return self._api(request)

    def _token(self, request: Received) -> Reply:
        form = request.form()
        client_id = (form.get("client_id") or [None])[0]
        secret = (form.get("client_secret") or [None])[0]
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Basic "):
            # RFC 6749 §2.3: a client must not use more than one authentication method.
            if secret is not None:
                return Reply(400, {"error": "invalid_request"})
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        if form.get("grant_type") != ["client_credentials"] or (client_id, secret) not in {
            (CLIENT_ID, CLIENT_SECRET),
            # The Basic form, with id and secret form-encoded as RFC 6749 asks.
            (CLIENT_ID, "s3cret%2Fwith%2Bsymbols"),
        }:
            return Reply(400, {"error": "invalid_client"})
        with self._lock:
            token = f"token-{len(self._issued) + 1}"
            self._issued.append(token)
        return Reply(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_expires_in},
            delay=self.token_delay,
        )

    def _api(self, request: Received) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self._issued:
            return Reply(401, {"code": "0001004", "description": "Authentication Failure"})
        action = request.path.removeprefix(API_PREFIX + "/").split("/")[0]
        if action == "clicktodialbegin":
            return Reply(
                200,
                {
                    "code": "0000000",
                    "description": "Success",
                    "result": {"callidentifier": CALLIDENTIFIER},
                },
            )
        if action == "clicktodialrelease":
            return Reply(200, {"code": "0000000", "description": "Success"})
        if action == "recordingdownload":
            audio = self.recordings.get(request.json().get("recordingId"))
            if audio is None:
                return Reply(400, {"code": "0000002", "description": "Invalid Input Value"})
            return Reply(
                200,
                {
                    "code": "0000000",
                    "description": "Success",
                    "filedata": base64.b64encode(audio).decode(),
                },
            )
        return Reply(404, {"code": "0000002", "description": "Invalid Input Value"})


def _handler(stub: StubOperator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, so that a client's connection pool is used as against a real operator.
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            with stub._lock:
                stub.connections += 1
            super().setup()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                method="POST",
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            reply = stub.answer(request)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.cut is None:
                    self.wfile.write(body)
                    return
                self.wfile.write(body[: reply.cut])
                self.wfile.flush()
                time.sleep(reply.stall)
                self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a read timeout test); nothing to answer.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# (HTTP status, code, description, class, permanent), row by row from the seed's §4.4 table.
SEED_ERRORS: list[tuple[int, str, str, type[OperatorError], bool]] = [
    (400, "0000002", "Invalid Input Value", InvalidInputValue, True),
    (400, "0001001", "User Not Exist", UserNotExist, True),
    (400, "0001003", "Password Error", PasswordError, True),
    (400, "0001004", "Authentication Failure", AuthenticationFailure, True),
    (400, "0001008", "User In Blacklist", UserInBlacklist, True),
    (400, "1001001", "Number Format Error", NumberFormatError, True),
    (400, "1001002", "Call ID Error", CallIdError, True),
    (400, "1001003", "Operation Error", OperationError, True),
    (400, "1001004", "Direction Error", DirectionError, True),
    # 0001002's two meanings cannot be told apart by the words: both read as UserStatusError,
    # which says both (TrafficControlFailure needs a sign of rate limiting: 429, Retry-After).
    (403, "0001002", "User Status Error", UserStatusError, False),
    (403, "0001002", "Traffic Control Failure", UserStatusError, False),
    (500, "0000001", "Internal Service Error", InternalServiceError, False),
    (500, "1000002", "Engines Return Error", EnginesReturnError, False),
    (504, "1000001", "Engine Timeout", EngineTimeout, False),
]


@pytest.fixture(params=SEED_ERRORS, ids=[row[2] for row in SEED_ERRORS])
def seed_error(request: pytest.FixtureRequest) -> tuple[int, str, str, type[OperatorError], bool]:
    """Each row of the seed's error table in turn."""
    return request.param


@pytest.fixture
def seed_error_table() -> list[tuple[int, str, str, type[OperatorError], bool]]:
    return list(SEED_ERRORS)


@pytest.fixture
def stub() -> Iterator[StubOperator]:
    operator = StubOperator()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(operator))
    server.daemon_threads = True
    server.block_on_close = False
    operator.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield operator
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cache() -> LocMemCache:
    # LocMemCache instances with the same name share storage; a unique name isolates tests.
    return LocMemCache(f"operator-api-{uuid.uuid4()}", {})


@pytest.fixture
def make_config(stub: StubOperator) -> Callable[..., OperatorConfig]:
    def make(**overrides: Any) -> OperatorConfig:
        values: dict[str, Any] = {
            "base_url": stub.base_url,
            "token_url": stub.token_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
        }
        values.update(overrides)
        return OperatorConfig(**values)

    return make


@pytest.fixture
def make_operator(
    make_config: Callable[..., OperatorConfig], cache: LocMemCache
) -> Callable[..., SeedV1Operator]:
    def make(**overrides: Any) -> SeedV1Operator:
        return SeedV1Operator(make_config(**overrides), token_store=TokenStore(cache))

    return make


@pytest.fixture
def operator(make_operator: Callable[..., SeedV1Operator]) -> SeedV1Operator:
    return make_operator()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on which nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def unanswered_port_url() -> Iterator[str]:
    """A URL whose connections are never accepted: a connect to it times out.

    Its listening socket's queue is full and nothing accepts, so Linux drops further SYNs.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            yield f"http://127.0.0.1:{port}"
        finally:
            for filler in fillers:
                filler.close()
