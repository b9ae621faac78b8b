"""The process's HTTP session to the operator, and what a failed request or an answer means.

One ``requests.Session`` per process, whose pooled connections every adapter and thread share. A
request that fails on the way is "nothing sent" (:func:`nothing_sent`) only when it certainly
never reached the operator (the connection or its TLS handshake was never made); anything else
may have arrived. :class:`OperatorAnswer` is an answer as read, with the operator's code found
where either document puts it.
"""

from __future__ import annotations

import http.cookiejar
import math
import os
import ssl
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import requests.auth
import requests.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

# The process's connections to the operator: a pool per host (the API's and the token
# endpoint's, with room to spare), each keeping at least as many connections as the busiest
# process has threads (the calls worker runs 16), so that threads do not queue for one.
_POOL_HOSTS = 4
_POOL_CONNECTIONS_PER_HOST = 32

_session: requests.Session | None = None
_session_lock = threading.Lock()


class _RefuseAllCookies(http.cookiejar.DefaultCookiePolicy):
    """The operator's APIs authenticate with a bearer token: a cookie one answer sets has no use,
    and in a session every thread shares it would ride along on other threads' requests."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def _new_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(
        pool_connections=_POOL_HOSTS, pool_maxsize=_POOL_CONNECTIONS_PER_HOST, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.cookies.set_policy(_RefuseAllCookies())
    # The environment is trusted (proxies, REQUESTS_CA_BUNDLE), and so is a private CA named by
    # SSL_CERT_FILE or SSL_CERT_DIR, which requests alone would ignore.
    session.verify = os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or True
    return session


def http_session() -> requests.Session:
    """The process's one session, made on first use: its connections are kept and shared by
    every adapter and thread (requests' adapters and urllib3's pools are thread-safe)."""
    global _session
    session = _session
    if session is None:
        with _session_lock:
            if _session is None:
                _session = _new_session()
            session = _session
    return session


def _forget_session_after_fork() -> None:
    # A worker forked after the parent used the session would share its sockets with the parent
    # (and inherit a lock another thread may hold): the child starts its own.
    global _session, _session_lock
    _session = None
    _session_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_session_after_fork)


class BearerAuth(requests.auth.AuthBase):
    """The access token, as the request's auth: an explicit auth also keeps requests from
    filling one in from ~/.netrc (trust_env): only the configured credentials are ever sent."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class NoAuth(requests.auth.AuthBase):
    """No credentials in the headers (they are in the form), and none taken from ~/.netrc."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


# Failures ------------------------------------------------------------------------------------

# Raised before anything is sent: no connection in time, or a URL that cannot be used at all.
_NOT_SENT = (
    requests.exceptions.ConnectTimeout,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests keeps urllib3's error in its args, urllib3 the
    reason for giving up in MaxRetryError.reason and its own causes in args."""
    pending: deque[object] = deque([exc])
    seen: set[int] = set()
    while pending:
        current = pending.popleft()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, MaxRetryError):
            pending.append(current.reason)
        pending.extend(current.args)
        pending.append(current.__cause__)


def nothing_sent(exc: requests.exceptions.RequestException) -> bool:
    """Whether the request certainly did not reach the operator: the connection was never made
    (refused, unresolvable name, connect timeout), the TLS handshake failed, or the URL was
    unusable. Everything else (a read timeout, a connection dropped after the request went out,
    a body cut short) may have reached it."""
    if isinstance(exc, _NOT_SENT):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    causes = list(_causes(exc))
    if any(isinstance(cause, NewConnectionError) for cause in causes):
        return True  # NameResolutionError is one too
    # The operator's certificate refused: the handshake stopped before any request was written.
    # Any other TLS error may come after the request went out (urllib3 wraps one that breaks
    # the status line as it does a failed handshake), so it is not read as "nothing sent".
    return isinstance(exc, requests.exceptions.SSLError) and any(
        isinstance(cause, ssl.SSLCertVerificationError) for cause in causes
    )


def failure_name(exc: requests.exceptions.RequestException) -> str:
    """What went wrong, in a word, for the log and the error's description."""
    if type(exc) is not requests.exceptions.ConnectionError:
        return type(exc).__name__
    # requests' vaguest error: name the first thing inside it that is not a wrapper.
    for cause in _causes(exc):
        if isinstance(cause, requests.exceptions.ConnectionError | MaxRetryError | ProtocolError):
            continue
        if isinstance(cause, ReadTimeoutError):
            return "ReadTimeout"  # while reading the body: requests calls it a ConnectionError
        return type(cause).__name__
    return type(exc).__name__


@dataclass
class OperatorAnswer:
    """An operator answer: HTTP status and its JSON envelope (None when not a JSON object)."""

    status: int
    envelope: dict[str, Any] | None
    headers: Mapping[str, str] = field(default_factory=CaseInsensitiveDict)

    @property
    def code(self) -> str | None:
        """v1's 7-digit code: in ``code``, or in ``status`` as the seed's OpenAPI examples put it
        (``{"status": "0000002", "description": "Invalid Input Value"}``). CAMARA's errors read
        their own fields (``CamaraOperator._error``)."""
        if self.envelope is None:
            return None
        return envelope_code(self.envelope)

    @property
    def description(self) -> str | None:
        if self.envelope is None:
            return None
        value = self.envelope.get("description")
        return None if value is None else str(value)


def envelope_code(envelope: Mapping[str, Any]) -> str | None:
    code = _code_text(envelope.get("code"))
    if code is not None:
        return code
    return _status_code_text(envelope.get("status"))


def _code_text(value: object) -> str | None:
    # The seed's codes are 7-digit strings; a JSON number loses the leading zeros.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(int(value)).zfill(7) if math.isfinite(value) else None
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) < 7:
        return text.zfill(7)  # "0" is 0000000, as the number 0 is
    return text or None


def _status_code_text(value: object) -> str | None:
    """``status`` as a 7-digit code, or None when it is not one: an object, a word ("ok"), or an
    HTTP status echoed in the body (200, "200"), which must not turn a success into an error."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str):
        text = value.strip()
        return text if len(text) == 7 and text.isascii() and text.isdigit() else None
    if not 0 <= value < 10_000_000 or value != int(value) or 100 <= value <= 599:
        return None
    return str(int(value)).zfill(7)
