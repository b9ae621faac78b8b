"""A 200 MB file posted to the contacts import of the running portal, as a client that never stops
sending: how long until the portal answers, with what, and how much its web workers grew.

Twice: with `Content-Length` (the portal refuses it from that header, before reading a byte) and
sent chunked, without one (it reads no further than the import's own limit). Sent over a raw
socket, so that the answer is read as soon as it comes, while the body is still being sent, as a
browser's upload would be cut short; the workers' resident memory (VmRSS) is read before and
after each.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

CHUNK = b"name,phone\n" + b"Li Wei,+8613800000001\n" * 47_000  # about 1 MiB of CSV rows
BOUNDARY = "benchuploadboundary"


def _session(user_name: str) -> tuple[str, str]:
    """A logged-in employee's cookies (a session in the portal's own store) and a CSRF token."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils.crypto import get_random_string

    user = get_user_model().objects.get(username=user_name)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    token = get_random_string(32)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}"
    return cookie, token


def _post(url: str, path: str, cookie: str, token: str, size: int, chunked: bool) -> dict:
    """POST a `size`-byte multipart body until the portal answers; its status and the time."""
    parts = urlsplit(url)
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + size + len(tail)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n"
        f"X-CSRFToken: {token}\r\nReferer: {url}{path}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()

    def framed(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data

    started = time.perf_counter()
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(request + framed(head))
        answered = False
        try:
            while sent < size:
                if select.select([sock], [], [], 0)[0]:
                    answered = True  # the answer came before the body's end
                    break
                data = CHUNK[: size - sent]
                sock.sendall(framed(data))
                sent += len(data)
            if not answered:
                sock.sendall(framed(tail) + (b"0\r\n\r\n" if chunked else b""))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the portal answered and closed while the body was still coming
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    elapsed_ms = (time.perf_counter() - started) * 1000
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    status = int(status_line.split()[1]) if len(status_line.split()) > 1 else 0
    return {"status": status, "answered_ms": round(elapsed_ms), "sent_mb": round(sent / 2**20)}


def upload_measure(
    url: str, user_name: str, worker_rss: Callable[[], dict[int, float]], size_mb: int = 200
) -> dict:
    """Both uploads against the portal at `url`, as `user_name`; each one's status, time to the
    answer, megabytes sent by then, and the web workers' largest growth over both."""
    cookie, token = _session(user_name)
    before = worker_rss()
    results = {}
    for way, chunked in (("with_length", False), ("chunked", True)):
        results[way] = _post(url, "/contacts/import/", cookie, token, size_mb * 2**20, chunked)
    after = worker_rss()
    # (A worker gunicorn replaced meanwhile is in neither: its growth is not known.)
    growth = max((after[pid] - before[pid] for pid in before if pid in after), default=0.0)
    return {"size_mb": size_mb, **results, "web_worker_growth_mb": round(growth, 1)}
