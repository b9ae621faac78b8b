"""How the sandbox posts what it sends back (v1 notifications, CAMARA events): requests.

One ``requests.Session`` serves every call's thread, with a connection pool large enough for all
of them to post at once, so keep-alive connections to the portal are reused rather than opened
per notification. Each POST is made once: a real operator does not retry, and a failed delivery
is something to record for the tests, not to hide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

NOTIFY_TIMEOUT = 10.0  # seconds to connect, and then to wait for the answer, per POST
# Connections kept open per host: every live call's thread may be posting at the same moment,
# and urllib3 warns about (and drops) each connection beyond the pool.
POOL_SIZE = 64


@dataclass(frozen=True)
class Delivery:
    """What came of one POST: the portal's answer, or why there was none."""

    status_code: int | None
    text: str | None
    error: str | None
    # From sending the request to the answer's headers (requests' `elapsed`); None without one.
    elapsed_ms: float | None = None


def _in_two_chunks(payload: bytes) -> Iterator[bytes]:
    # A generator body makes requests send Transfer-Encoding: chunked with no Content-Length;
    # two chunks, so the receiver must really join them.
    middle = len(payload) // 2
    yield payload[:middle]
    yield payload[middle:]


class Notifier:
    def __init__(self, timeout: float = NOTIFY_TIMEOUT) -> None:
        self._timeout = timeout
        self._session = requests.Session()
        # A developer's HTTP(S)_PROXY must not reroute callbacks to the portal, nor their .netrc
        # add credentials the sandbox was not told to send (strict mode sends none).
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_maxsize=POOL_SIZE)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def post(
        self,
        url: str,
        payload: bytes,
        *,
        content_type: str,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        chunked: bool = False,
    ) -> Delivery:
        """POST ``payload`` once; never raises."""
        try:
            response = self._session.post(
                url,
                data=_in_two_chunks(payload) if chunked else payload,
                headers={"Content-Type": content_type, **(headers or {})},
                auth=auth,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except Exception as exc:  # refused, timed out, reset...: data for the tests, not a crash
            return Delivery(None, None, f"{type(exc).__name__}: {exc}")
        # Decoded as UTF-8 whatever the headers say: it is kept for reading, not parsed.
        return Delivery(
            response.status_code,
            response.content.decode("utf-8", "replace"),
            None,
            response.elapsed.total_seconds() * 1000,
        )

    def close(self) -> None:
        self._session.close()
