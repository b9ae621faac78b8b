"""One POST to an endpoint, with requests: to the address webhooks.addresses checked (the name is
not resolved again), its TLS certificate still checked against the URL's host name; no redirect
followed; no more than a bounded start of the answer read; the whole attempt within a deadline."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

# The start of an answer kept with the attempt; the rest is not read.
EXCERPT_BYTES = 2000


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedAddressAdapter(HTTPAdapter):
    """HTTPS to an IP address, with the SNI and the certificate's check for `hostname`."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: object, **pool_kwargs: object) -> None:
        pool_kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
        super().init_poolmanager(*args, **pool_kwargs)


def _pinned(url: str, address: str) -> tuple[str, str]:
    """The URL with its host replaced by `address`, and the Host header it had."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc)), parts.netloc.rsplit("@", 1)[-1]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    address: str | None,
    connect_timeout: float,
    timeout: float,
) -> Answer:
    """POST `body`; `address`: the IP to connect to (None: resolve the URL's host as usual).
    Never raises: whatever goes wrong is the answer's error."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    with requests.Session() as session:
        # Nothing from the environment (a proxy would resolve the name itself).
        session.trust_env = False
        target, sent_headers = url, dict(headers)
        if address is not None:
            target, sent_headers["Host"] = _pinned(url, address)
            session.mount("https://", _PinnedAddressAdapter(urlsplit(url).hostname or ""))
        try:
            with session.post(
                target,
                data=body,
                headers=sent_headers,
                timeout=(connect_timeout, timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                start = _read_start(response, deadline=started + connect_timeout + timeout)
        except requests.Timeout:
            return Answer(None, "", f"no answer within {timeout:g} s", took())
        except Exception as exc:  # any failure is this attempt's, and is kept
            return Answer(None, "", f"{type(exc).__name__}: {exc}", took())
    return Answer(response.status_code, start, "", took())


def _read_start(response: requests.Response, *, deadline: float) -> str:
    """The answer's first bytes, read until EXCERPT_BYTES or the deadline (a receiver that
    trickles its body does not hold the worker)."""
    read = b""
    for chunk in response.iter_content(chunk_size=512):
        read += chunk
        if len(read) >= EXCERPT_BYTES or time.monotonic() > deadline:
            break
    return read[:EXCERPT_BYTES].decode(response.encoding or "utf-8", errors="replace")
