"""Fixtures for the sandbox operator's tests: a real operator, a stand-in portal, an API client.

Everything runs over real sockets on free ports, with the operator's clock compressed 100-fold, so
the tests see what the portal will see (ordering, auth headers, timeouts) in a fraction of a second.
No Django and no database are involved.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from sandbox import SandboxConfig, SandboxOperator

TIME_SCALE = 0.01
SPONSOR = "01052680000"
CALLER = "8613912345673"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class PortalStub:
    """Stands in for the portal's notify endpoint: records every POST and answers Success."""

    url: str
    received: list[Received] = field(default_factory=list)

    def for_call(self, callidentifier: str) -> list[Received]:
        return [r for r in self.received if r.path.endswith("/" + callidentifier)]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """A request's body, sent with Content-Length or chunked (some operators send chunked)."""
    if handler.headers.get("Transfer-Encoding", "").lower() != "chunked":
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    chunks = []
    while size := int(handler.rfile.readline().split(b";")[0], 16):
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()  # the CRLF after each chunk
    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers, then a blank line
        pass
    return b"".join(chunks)


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # Every call's thread may post at once, each on a new connection: the default backlog of 5
    # would reset some of them.
    request_queue_size = 128


@pytest.fixture
def portal() -> Iterator[PortalStub]:
    stub = PortalStub(url="")

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = read_body(self)
            stub.received.append(Received(self.path, dict(self.headers.items()), json.loads(raw)))
            payload = b'{"code": "0000000", "description": "Success"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _StubServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_operator(portal: PortalStub) -> Iterator[Callable[..., SandboxOperator]]:
    """Start sandbox operators (notifying the stub portal) with some settings overridden."""
    started: list[SandboxOperator] = []

    def make(**overrides: Any) -> SandboxOperator:
        settings: dict[str, Any] = {
            "port": 0,
            "notify_url": portal.url + "/clicktodial/v1/clicktodialstatusnotify/{callidentifier}",
            "time_scale": TIME_SCALE,
            "begin_delay_slow": 0.3,
            **overrides,
        }
        operator = SandboxOperator(SandboxConfig(**settings))
        operator.start()
        started.append(operator)
        return operator

    yield make
    for operator in started:
        operator.stop()


@pytest.fixture
def operator(make_operator: Callable[..., SandboxOperator]) -> SandboxOperator:
    return make_operator()


class Api:
    """A minimal client of the sandbox, the way the portal's adapter talks to an operator."""

    def __init__(self, operator: SandboxOperator, http: requests.Session) -> None:
        self.operator = operator
        self.http = http
        self._token: str | None = None

    def token(self) -> str:
        response = self.http.post(
            self.operator.token_url,
            data={"grant_type": "client_credentials"},
            auth=("sandbox-client", "sandbox-secret"),
            timeout=5.0,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def post(
        self, path: str, body: Any = None, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        if token is None:
            self._token = self._token or self.token()
            token = self._token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        kwargs.setdefault("timeout", 5.0)
        return self.http.post(self.operator.base_url + path, json=body, headers=headers, **kwargs)

    def begin(self, callee: str, caller: str = CALLER) -> requests.Response:
        return self.post(
            "/clicktodialbegin", {"sponsor": SPONSOR, "caller": caller, "callee": callee}
        )

    def place(self, callee: str) -> str:
        """Begin a call that must be accepted; its callidentifier."""
        response = self.begin(callee)
        assert response.status_code == 200, response.text
        return response.json()["result"]["callidentifier"]


@pytest.fixture
def api_for() -> Iterator[Callable[[SandboxOperator], Api]]:
    """``api_for(operator)``: a client of that operator (tests cannot import conftest)."""
    with requests.Session() as http:
        http.trust_env = False  # a developer's proxy settings must not reach 127.0.0.1
        yield lambda operator: Api(operator, http)


@pytest.fixture
def api(operator: SandboxOperator, api_for: Callable[[SandboxOperator], Api]) -> Api:
    return api_for(operator)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture
def wait() -> Callable[..., bool]:
    """``wait(predicate, timeout=5.0)``: poll until true (tests cannot import conftest)."""
    return wait_until
