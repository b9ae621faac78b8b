"""An attempt pinned to the address checked still speaks TLS to the URL's host name: the
certificate is checked against the name (not the address), which is also the Host header."""

import http.server
import ssl
import threading

import pytest
import requests

from tests.helpers import self_signed_certificate
from webhooks import transport


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 with a certificate for crm.example, trusted by requests."""
    cert_file, key_file = self_signed_certificate(tmp_path, "crm.example")
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(
                (self.headers["Host"], self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # The test's own authority, in place of the public ones a real endpoint's certificate has.
    real_init = requests.Session.__init__

    def trusting_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.verify = str(cert_file)

    monkeypatch.setattr(requests.Session, "__init__", trusting_init)
    yield server.server_address[1], seen
    # Not waited for: a refused handshake can leave the accepting thread in its read for seconds.
    threading.Thread(target=server.shutdown, daemon=True).start()


def test_the_certificate_is_checked_against_the_urls_name(tls_receiver):
    port, seen = tls_receiver

    answer = transport.post(
        f"https://crm.example:{port}/hooks",
        b'{"type":"webhook.test"}',
        {"Content-Type": "application/json"},
        address="127.0.0.1",
        connect_timeout=3,
        timeout=5,
    )

    assert (answer.status_code, answer.error) == (204, "")
    assert seen == [(f"crm.example:{port}", b'{"type":"webhook.test"}')]


def test_a_certificate_for_another_name_is_refused(tls_receiver):
    port, seen = tls_receiver

    answer = transport.post(
        f"https://billing.example:{port}/hooks",
        b"{}",
        {},
        address="127.0.0.1",
        connect_timeout=3,
        timeout=5,
    )

    assert answer.status_code is None and "SSLError" in answer.error
    assert seen == []
