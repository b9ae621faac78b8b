"""The sandbox's HTTP plumbing: a threading server that reads each request's body, hands it to one
answering function, and writes the ``Response`` it gets back as JSON.

Nothing here knows the operator's APIs; ``SandboxOperator.handle`` does (sandbox/server.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.errors import INVALID_INPUT, ApiError

log = logging.getLogger("sandbox")

MAX_BODY = 1 << 20


@dataclass
class Response:
    """One answer: the HTTP status, the JSON body (none for 204) and any extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


# method, target (path and query), headers, raw body -> the answer
Answer = Callable[[str, str, Mapping[str, str], bytes], Response]


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or v1's 0000002 Invalid Input Value."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(INVALID_INPUT) from None
    if not isinstance(data, dict):
        raise ApiError(INVALID_INPUT)
    return data


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive connections must not hold up stop()
    # A load test opens many connections at once; the default backlog of 5 would reset some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], answer: Answer) -> None:
        self.answer = answer
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API gateway
    server_version = "SandboxOperator/1.0"
    timeout = 60  # idle keep-alive connections end on their own
    disable_nagle_algorithm = True  # headers and body are two writes; don't stall keep-alive
    server: Server

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(Response(400, INVALID_INPUT.body()))
            return
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        self._send(self.server.answer(self.command, self.path, headers, raw))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _send(self, response: Response) -> None:
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
