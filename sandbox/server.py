"""The sandbox operator: the seed's Click to Dial v1 API and CAMARA's 0.1, over real HTTP.

Why real HTTP and real threads: the portal's hard parts are exactly the ones a mock hides -- tokens
that expire or get revoked, a begin answer that arrives late or never, status notifications that
come back later on their own connection, in order, with Basic credentials, and recordings as base64
audio. This server behaves that way, with timing compressible by ``time_scale`` for tests.

Only the standard library and requests are used, so it runs as its own process with no Django
settings. In strict mode (``SandboxConfig.strict``) it is the least forgiving operator the portal
may meet: nothing beyond the seed's begin fields, only registered sponsors, and no notification
credentials unless it is given some.

This module puts the operator together and routes each request; the parts are ``config``,
``httpd`` (the HTTP server), ``tokens`` (OAuth2), ``v1`` and ``camara`` (each API's endpoints),
``switchboard`` (the calls, their threads and notifications) and ``events`` (what is sent).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self
from urllib.parse import urlsplit

from sandbox.calls import utcnow
from sandbox.camara import CAMARA_PREFIX, CamaraApi
from sandbox.config import SandboxConfig
from sandbox.errors import AUTHENTICATION_FAILURE, CAMARA_UNAUTHENTICATED, ApiError
from sandbox.httpd import Response, Server
from sandbox.memory import CallRegister, RecentList, RecordingView
from sandbox.switchboard import SentNotification, Switchboard
from sandbox.tokens import TOKEN_PATH, Tokens
from sandbox.v1 import API_PREFIX, V1Api

# What other modules import from here, wherever it is defined.
__all__ = [
    "API_PREFIX",
    "CAMARA_PREFIX",
    "TOKEN_PATH",
    "ReceivedRequest",
    "SandboxConfig",
    "SandboxOperator",
    "SentNotification",
]

log = logging.getLogger("sandbox")


@dataclass
class ReceivedRequest:
    """One request as it arrived (body parsed as JSON when it is JSON, else the text)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | str | None
    received_at: datetime


class SandboxOperator:
    """The operator: its HTTP server, tokens, both APIs, and the calls they place.

    What tests read: ``requests`` and ``notifications`` (the last ones received and sent, in
    order), ``calls`` (every live call and the latest that are over) and ``recordings`` (every
    kept call's audio by recordingId), all bounded (sandbox/memory.py).
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._switchboard = Switchboard(config, event_source=lambda: self.camara_base_url)
        self._tokens = Tokens(config)
        self._v1 = V1Api(config, self._tokens, self._switchboard)
        self._camara = CamaraApi(self._tokens, self._switchboard)
        self.requests: RecentList[ReceivedRequest] = RecentList(config.history_limit)
        self.notifications: RecentList[SentNotification] = self._switchboard.notifications
        self.calls: CallRegister = self._switchboard.calls
        self.recordings: RecordingView = self._switchboard.recordings
        self._server: Server | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen, and serve in a daemon thread; returns once the socket is bound."""
        if self._server is not None:
            raise RuntimeError("the sandbox operator is already started")
        self._server = Server((self.config.host, self.config.port), self.handle)
        # A short poll interval makes stop() quick, which matters to tests that start many.
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http"
        )
        thread.daemon = True
        thread.start()

    def stop(self) -> None:
        """Stop serving and silence every pending call (no more notifications are sent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._switchboard.stop()

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
        self._tokens.revoke_all()

    def wait_for_call_end(self, callidentifier: str, timeout: float = 10.0) -> bool:
        """Block until the call's Disconnected notification has been sent (answered or not)."""
        return self._switchboard.wait_for_end(callidentifier, timeout)

    # -- HTTP dispatch ---------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Response:
        """Answer one HTTP request (called by the request handler, one thread per connection)."""
        self._record(method, target, headers, raw)
        lowered = {name.lower(): value for name, value in headers.items()}
        path = urlsplit(target).path
        try:
            response = self._route(method, path, lowered, raw)
        except ApiError as exc:
            response = Response(exc.error.status, exc.error.body())
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

    def _route(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Response:
        if path == TOKEN_PATH:
            return self._tokens.token_endpoint(method, headers, raw)
        if path == "/healthz" and method == "GET":
            return Response(200, {"status": "ok"})
        if path.startswith(CAMARA_PREFIX + "/"):
            return self._camara.answer(method, path, headers, raw)
        return self._v1.answer(method, path, headers, raw)
