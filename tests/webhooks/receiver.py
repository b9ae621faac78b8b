"""A receiver the tests start: an HTTP server that keeps every request it gets and answers as the
test says (an error for a while, a hang), and endpoints registered as an admin registers them."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from tests.helpers import wait_until


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # The answers to give, first to last, before answering 204 to everything.
    answers: list[int] = field(default_factory=list)
    # Seconds to wait before answering the next request (a receiver that hangs).
    hang: float = 0.0

    def accepted(self) -> list[Received]:
        return [item for item in self.received if 200 <= item.answered < 300]

    def verified(self, secret: str) -> list[dict]:
        """Every message accepted, in the order received, checked by the standardwebhooks
        package with the endpoint's secret (it raises on a bad or missing signature)."""
        webhook = Webhook(secret)
        return [webhook.verify(item.body, item.headers) for item in self.accepted()]

    def wait_for(self, count: int, *, timeout: float = 20.0) -> None:
        """Until `count` messages were accepted."""
        wait_until(lambda: len(self.accepted()) >= count, timeout=timeout, what=f"{count} messages")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                hang, state.hang = state.hang, 0.0
                status = state.answers.pop(0) if state.answers else 204
            time.sleep(hang)
            state.received.append(Received(dict(self.headers.items()), body, status))
            self.send_response(status)
            payload = b"" if status == 204 else b'{"error": "try later"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def quick_webhooks(settings) -> None:
    """The receiver is on this machine (loopback, plain HTTP); retries a fifth of a second apart."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_DELAYS = [0.2]
    settings.WEBHOOK_TIMEOUT = 2.0
