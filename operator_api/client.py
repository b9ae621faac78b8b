"""The operator adapter interface, and its first implementation: the seed's v1 Click to Dial API.

:class:`ClickToDialOperator` is the one interface the rest of the portal uses (begin, release,
recording download). :class:`SeedV1Operator` speaks the seed over HTTP with an OAuth2
client-credentials token that :class:`TokenStore` shares between all processes through the
Django cache. Every answer that is not a success becomes an :mod:`operator_api.errors` exception.

HTTP goes through one ``requests.Session`` per process, whose pooled connections every adapter
and thread share. A request that fails on the way is :class:`OperatorUnreachable` only when it
certainly never reached the operator (the connection or its TLS handshake was never made);
otherwise a request that acts (begin, release) is :class:`OperatorOutcomeUnknown`, since a phone
may be ringing, and one that only reads is an error worth retrying.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote, quote_plus, urlsplit

import requests
import requests.auth
import requests.exceptions
from django.utils.translation import gettext_noop
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from operator_api.answers import (
    STREAMED_PATHS,
    AnswerParser,
    Base64Writer,
    CorruptFiledata,
    UnreadableAnswer,
)
from operator_api.errors import (
    SUCCESS_CODE,
    AuthenticationFailure,
    OperatorError,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    error_from_response,
)
from operator_api.numbers import NumberFormat, format_for_operator

__all__ = [
    "ClickToDialOperator",
    "ContactLog",
    "OAuthOperator",
    "OperatorConfig",
    "ReleaseOperation",
    "SeedV1Operator",
    "TokenAuth",
    "TokenStore",
]

logger = logging.getLogger("operator_api")

_AUTHENTICATION_FAILURE_CODE = "0001004"
# OAuth2 makes expires_in optional; without it, keep the token only briefly.
_DEFAULT_TOKEN_LIFETIME = 300
# Bytes read off the socket at a time: the answer is parsed as it arrives, never held whole.
_READ_CHUNK = 64 * 1024


class TokenAuth(StrEnum):
    """Where the client credentials go when asking for a token (RFC 6749 §2.3.1)."""

    # In the form body, as the seed's curl example does.
    POST = "client_secret_post"
    # As HTTP Basic, as RFC 6749 prefers.
    BASIC = "client_secret_basic"


class ReleaseOperation(StrEnum):
    CONTINUE = "Continue"
    END_CALL = "EndCall"


@dataclass(frozen=True)
class OperatorConfig:
    """Where the operator is and how to talk to it (built from settings by ``get_operator``)."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    token_auth: str = TokenAuth.POST.value
    number_format: str = NumberFormat.DIGITS.value
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # The seed warns that recording downloads need "HTTP long latency".
    download_timeout: float = 300.0
    # Seconds before its expiry at which a token is considered stale and fetched again.
    token_refresh_margin: int = 60
    # The begin request's field that asks for the call to be recorded, 0 or 1 (the operator's
    # earlier API calls it "record"). Empty, the default: the seed has none, so the begin
    # carries only its three fields and the operator decides.
    record_field: str = ""

    def __post_init__(self) -> None:
        if self.token_auth not in {method.value for method in TokenAuth}:
            raise ValueError(
                f"Unknown operator token authentication '{self.token_auth}'; "
                f"use one of {', '.join(TokenAuth)}."
            )
        # Raises ValueError for an unknown format, at configuration time rather than mid-call.
        NumberFormat(self.number_format)
        for name in ("connect_timeout", "read_timeout", "download_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Operator {name} must be positive.")

    def __repr__(self) -> str:
        # The secret must not end up in logs or error reports through a repr.
        return (
            f"OperatorConfig(base_url={self.base_url!r}, token_url={self.token_url!r}, "
            f"client_id={self.client_id!r}, token_auth={self.token_auth!r}, "
            f"number_format={self.number_format!r})"
        )


@runtime_checkable
class ClickToDialOperator(Protocol):
    """What the portal needs from an operator. Numbers are E.164; errors are OperatorError."""

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        """Ask the operator to ring ``caller`` then ``callee``; return the callidentifier.

        ``record``: ask for the call to be recorded (True) or not (False); None says nothing.
        ``reference``: the portal's own id for the call (CAMARA binds the credential its events
        come with to it; v1 has no use for it).
        """
        ...

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        """End (or continue) a call in progress."""
        ...

    def recording_download(
        self, *, callidentifier: str, recording_id: str, destination: BinaryIO
    ) -> int:
        """Write the call's recording (decoded audio) to ``destination``; return the bytes.

        The audio is written as it arrives. When this raises, ``destination`` may hold part of
        it: write to a temporary file and keep it only on success.
        """
        ...

    def access_token_check(self, *, timeout: float) -> None:
        """Hold a valid access token, asking (for at most ``timeout`` seconds) for one if none
        is kept: the readiness check."""
        ...

    @property
    def asks_for_recording(self) -> bool:
        """Whether a begin can ask for the call to be recorded or not (``record``); when it
        cannot, the operator decides."""
        ...


class CacheLike(Protocol):
    """The part of Django's cache API the token store uses."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = ...) -> None: ...

    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...

    def delete(self, key: str) -> Any: ...


class TokenStore:
    """The operator's access token, kept in a cache all processes share.

    One token serves every web and worker process; it is fetched again shortly before it
    expires. A lock key taken with ``cache.add`` (atomic on every shared Django cache) lets one
    process fetch while the others wait for its result instead of all asking the operator.
    """

    def __init__(
        self,
        cache: CacheLike,
        *,
        lock_timeout: int = 30,
        lock_wait: float = 5.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._cache = cache
        # The lock expires on its own so that a process dying mid-fetch cannot block the rest.
        self._lock_timeout = lock_timeout
        # How long to wait for another process's fetch before fetching anyway.
        self._lock_wait = lock_wait
        self._poll_interval = poll_interval

    @staticmethod
    def key_for(*, token_url: str, client_id: str) -> str:
        """The cache key of one client's token at one token endpoint."""
        digest = hashlib.sha256(f"{token_url}\n{client_id}".encode()).hexdigest()[:32]
        return f"operator_api:token:{digest}"

    def get(self, *, key: str) -> str | None:
        token = self._cache.get(key)
        return token if isinstance(token, str) and token else None

    def get_or_fetch(self, *, key: str, fetch: Callable[[], tuple[str, int]]) -> str:
        """Return the cached token, or fetch one with ``fetch`` -> (token, seconds to keep it)."""
        token = self.get(key=key)
        if token is not None:
            return token

        lock_key = f"{key}:lock"
        locked = self._cache.add(lock_key, "1", self._lock_timeout)
        if not locked:
            deadline = time.monotonic() + self._lock_wait
            while time.monotonic() < deadline:
                time.sleep(self._poll_interval)
                token = self.get(key=key)
                if token is not None:
                    return token
            logger.warning("operator token: gave up waiting for another process's fetch")
        try:
            # Another process may have stored a token between our first look and the lock.
            token = self.get(key=key) if locked else None
            if token is not None:
                return token
            token, keep_for = fetch()
            if keep_for > 0:
                self._cache.set(key, token, keep_for)
            return token
        finally:
            # Django's cache cannot delete only-if-ours; if our fetch outlived the lock, the
            # worst case is one extra fetch by another process.
            if locked:
                self._cache.delete(lock_key)

    def invalidate(self, *, key: str, token: str) -> None:
        """Forget ``token`` if it is still the cached one (another process may have replaced it
        with a fresh token already, which must survive)."""
        if self._cache.get(key) == token:
            self._cache.delete(key)


# The process's connections to the operator: a pool per host (the API's and the token
# endpoint's, with room to spare), each keeping at least as many connections as the busiest
# process has threads (the calls worker runs 16), so that threads do not queue for one.
_POOL_HOSTS = 4
_POOL_CONNECTIONS_PER_HOST = 32

_session: requests.Session | None = None
_session_lock = threading.Lock()


class ContactLog:
    """When the operator last answered, and when it last could not be reached (or answered with
    a server error), kept in the cache all processes share: the readiness check reads it in a
    web process, while the workers are the ones that talk to the operator."""

    ANSWERED_KEY = "operator_api:contact:answered_at"
    FAILED_KEY = "operator_api:contact:failed"
    # Long enough to say "not for a day"; the keys are written on every request anyway.
    KEEP_SECONDS = 24 * 60 * 60

    def __init__(self, cache: CacheLike) -> None:
        self._cache = cache

    def answered(self) -> None:
        self._cache.set(self.ANSWERED_KEY, time.time(), self.KEEP_SECONDS)

    def failed(self, what: str) -> None:
        self._cache.set(self.FAILED_KEY, (time.time(), what), self.KEEP_SECONDS)

    def last(self) -> tuple[float | None, tuple[float, str] | None]:
        """(when it last answered, (when and how it last failed)); None for never, or not
        within a day."""
        answered = self._cache.get(self.ANSWERED_KEY)
        failed = self._cache.get(self.FAILED_KEY)
        return (
            answered if isinstance(answered, float) else None,
            tuple(failed) if isinstance(failed, list | tuple) and len(failed) == 2 else None,
        )


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


def _http_session() -> requests.Session:
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


class _BearerAuth(requests.auth.AuthBase):
    """The access token, as the request's auth: an explicit auth also keeps requests from
    filling one in from ~/.netrc (trust_env): only the configured credentials are ever sent."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class _NoAuth(requests.auth.AuthBase):
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


def _nothing_sent(exc: requests.exceptions.RequestException) -> bool:
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
    # A TLS failure while connecting (urllib3 gives up on it with MaxRetryError; a TLS error
    # while reading the body is not wrapped so): no request was read by the operator.
    return isinstance(exc, requests.exceptions.SSLError) and any(
        isinstance(cause, MaxRetryError) for cause in causes
    )


def _failure_name(exc: requests.exceptions.RequestException) -> str:
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
        return _envelope_code(self.envelope)

    @property
    def description(self) -> str | None:
        if self.envelope is None:
            return None
        value = self.envelope.get("description")
        return None if value is None else str(value)


def _envelope_code(envelope: Mapping[str, Any]) -> str | None:
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


def _corrupt_recording(exc: CorruptFiledata) -> OperatorError:
    return OperatorError(
        message=gettext_noop("The operator sent a recording that could not be decoded."),
        description=f"filedata: {exc}",
        http_status=200,
        # The same request gets the same bytes: an admin retries by hand if the operator fixes it.
        permanent=True,
    )


class OAuthOperator:
    """What every operator API here shares: an OAuth2 client-credentials token (kept for all
    processes in the shared cache), the process's HTTP session, answers read as they arrive,
    what a failed request means, and the log lines. The API itself is a subclass's:
    :class:`SeedV1Operator`, :class:`operator_api.camara.CamaraOperator`."""

    # Where an answer holds a recording's audio, in base64 (streamed, never kept whole): paths of
    # object keys from the top, lower-cased. The first names it in errors.
    RECORDING_PATHS: tuple[tuple[str, ...], ...] = STREAMED_PATHS

    def __init__(
        self,
        config: OperatorConfig,
        *,
        token_store: TokenStore,
        contacts: ContactLog | None = None,
    ) -> None:
        self._config = config
        self._tokens = token_store
        self._contacts = contacts
        self._token_key = TokenStore.key_for(token_url=config.token_url, client_id=config.client_id)

    @property
    def config(self) -> OperatorConfig:
        return self._config

    def access_token_check(self, *, timeout: float) -> None:
        timeout = min(timeout, self._config.connect_timeout, self._config.read_timeout)
        self._access_token(timeout=(timeout, timeout))

    def last_contact(self) -> tuple[float | None, tuple[float, str] | None]:
        """When the operator last answered, and when and how it last failed (ContactLog)."""
        return self._contacts.last() if self._contacts is not None else (None, None)

    def _timeout(self, read_timeout: float | None = None) -> tuple[float, float]:
        """requests' (connect, read) timeouts; read is the longest wait between two bytes."""
        return (self._config.connect_timeout, read_timeout or self._config.read_timeout)

    # The token -------------------------------------------------------------------------------

    def _access_token(self, *, timeout: tuple[float, float]) -> str:
        return self._tokens.get_or_fetch(
            key=self._token_key, fetch=lambda: self._fetch_token(timeout=timeout)
        )

    def _fetch_token(self, *, timeout: tuple[float, float]) -> tuple[str, int]:
        """Ask the token endpoint for a token; return it with how long to cache it."""
        config = self._config
        form = {"grant_type": "client_credentials"}
        auth: requests.auth.AuthBase
        if config.token_auth == TokenAuth.BASIC:
            # RFC 6749 §2.3.1: id and secret are form-encoded before going into Basic auth.
            auth = requests.auth.HTTPBasicAuth(
                quote_plus(config.client_id), quote_plus(config.client_secret)
            )
        else:
            auth = _NoAuth()
            form |= {"client_id": config.client_id, "client_secret": config.client_secret}

        path = urlsplit(config.token_url).path
        started = time.monotonic()
        try:
            response = _http_session().post(
                config.token_url,
                data=form,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            # Asking for a token changes nothing at the operator: whatever went wrong, no call
            # was placed and asking again is safe.
            name = _failure_name(exc)
            self._log_failure("POST", path, name, started)
            raise OperatorUnreachable(description=name) from exc
        self._log("POST", path, response.status_code, started)

        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload = {}
        description = (
            payload.get("error_description") or payload.get("error") or payload.get("description")
        )
        description = None if description is None else str(description)

        if response.status_code >= 500:
            raise OperatorUnreachable(
                description=description or "token endpoint error",
                http_status=response.status_code,
            )
        if response.status_code >= 400:
            raise AuthenticationFailure(
                code=_envelope_code(payload),
                description=description,
                http_status=response.status_code,
            )
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise OperatorUnreachable(
                message=gettext_noop(
                    "The operator's sign-in service gave an unusable answer. "
                    "Nothing was done; try again later."
                ),
                description="no access_token in the token answer",
                http_status=response.status_code,
            )
        return token, self._cache_lifetime(payload.get("expires_in"))

    def _cache_lifetime(self, expires_in: object) -> int:
        try:
            lifetime = int(float(expires_in))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            lifetime = _DEFAULT_TOKEN_LIFETIME
        # Refresh a margin before expiry, so a token never expires in the middle of a request.
        # A token shorter-lived than the margin is kept for half its life instead.
        margin = self._config.token_refresh_margin
        return lifetime - margin if lifetime > margin else lifetime // 2

    # Requests --------------------------------------------------------------------------------

    @staticmethod
    def _token_refused(answer: OperatorAnswer) -> bool:
        """Whether the operator refused the access token (v1 also says so with 0001004)."""
        return answer.status == 401 or answer.code == _AUTHENTICATION_FAILURE_CODE

    def _with_token(
        self,
        *,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        acts: bool,
        read_timeout: float | None = None,
        stream_to: Base64Writer | None = None,
        headers: dict[str, str] | None = None,
    ) -> OperatorAnswer:
        """Send the request with the access token; if the token is refused, fetch another and
        send it once more. The answer may still be a refusal, for the API to raise."""
        timeout = self._timeout(read_timeout)
        for attempt in (1, 2):
            # The token endpoint answers quickly even when the request is a download.
            token = self._access_token(timeout=self._timeout())
            answer = self._request(
                method=method,
                url=url,
                body=body,
                token=token,
                acts=acts,
                timeout=timeout,
                stream_to=stream_to,
                headers=headers,
            )
            if not self._token_refused(answer) or (stream_to is not None and stream_to.written):
                # Audio already written cannot be taken back: the refusal stands.
                return answer
            logger.info("operator refused the access token (attempt %d)", attempt)
            self._tokens.invalidate(key=self._token_key, token=token)
        return answer

    @staticmethod
    def _path_segment(callidentifier: str) -> str:
        if not callidentifier:
            raise ValueError("callidentifier must not be empty.")
        # Identifiers come from the operator; quoting keeps one from reshaping our URL.
        return quote(callidentifier, safe="")

    def _request(
        self,
        *,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        token: str,
        acts: bool,
        timeout: tuple[float, float],
        stream_to: Base64Writer | None = None,
        headers: dict[str, str] | None = None,
    ) -> OperatorAnswer:
        """Send one request with the token; its answer, parsed as it arrives.

        ``acts``: whether the request changes something at the operator, which decides what a
        lost answer means. ``stream_to``: where the recording's base64 string is decoded to.
        """
        path = urlsplit(url).path
        started = time.monotonic()
        try:
            # Redirects are not followed: a 3xx is an answer to read, and a request is never
            # sent again somewhere else.
            with _http_session().request(
                method,
                url,
                json=body,
                auth=_BearerAuth(token),
                headers={"Accept": "application/json", **(headers or {})},
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            ) as response:
                # Parsed as it comes off the socket: a recording's base64 is decoded into
                # ``stream_to`` on the way, and neither the body nor the string is ever whole.
                parser = AnswerParser(stream_to=stream_to, streamed_paths=self.RECORDING_PATHS)
                envelope: dict[str, Any] | None = None
                try:
                    for chunk in response.iter_content(_READ_CHUNK):
                        parser.feed(chunk)
                    envelope = parser.close()
                except UnreadableAnswer:
                    # Not JSON, or cut off: read no further; the status decides what it means.
                    envelope = None
                except CorruptFiledata as exc:
                    raise _corrupt_recording(exc) from None
                self._log(method, path, response.status_code, started, self._log_note(response))
                return OperatorAnswer(response.status_code, envelope, response.headers)
        except requests.exceptions.RequestException as exc:
            name = _failure_name(exc)
            self._log_failure(method, path, name, started)
            if _nothing_sent(exc):
                # Nothing reached the operator: nothing was done.
                raise OperatorUnreachable(description=name) from exc
            # Read timeouts, dropped connections, bodies cut short: the request may have arrived.
            if acts:
                raise OperatorOutcomeUnknown(description=name) from exc
            raise OperatorError(
                message=gettext_noop("The operator did not finish answering. Try again later."),
                description=name,
                permanent=False,
            ) from exc

    @staticmethod
    def _unreadable(status: int, *, acts: bool) -> OperatorError:
        """The error for an answer that is not a JSON object (an HTML error page, say)."""
        if status in (502, 503, 504) or 400 <= status < 500:
            return error_from_response(http_status=status, code=None, description=None)
        if 200 <= status < 300 and acts:
            return OperatorOutcomeUnknown(
                message=gettext_noop(
                    "The operator's answer could not be read. The request may have been "
                    "carried out."
                ),
                description="the answer is not JSON",
                http_status=status,
            )
        return OperatorError(
            message=gettext_noop("The operator's answer could not be read. Try again later."),
            description="the answer is not JSON",
            http_status=status,
            permanent=False,
        )

    def _recording_received(
        self, writer: Base64Writer, *, answer: str, code: str | None = None
    ) -> None:
        """Raise unless the ``answer`` held a recording (its audio string, whole, not empty)."""
        if writer.closed and writer.written:
            return
        field = ".".join(self.RECORDING_PATHS[0])
        raise OperatorError(
            message=gettext_noop("The operator sent no recording for this call. Try again later."),
            code=code,
            description=f"no {field} in the {answer}"
            if not writer.closed
            else f"empty {field} in the {answer}",
            http_status=200,
            permanent=False,
        )

    # Logging ---------------------------------------------------------------------------------

    @staticmethod
    def _log_note(response: requests.Response) -> str:
        """What an API adds to a request's log line (CAMARA: the answer's x-correlator)."""
        return ""

    def _log(self, method: str, path: str, status: int, started: float, note: str = "") -> None:
        """Log an answer, and note when the operator last answered (or failed: a 5xx)."""
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info("operator %s %s -> %d in %.0f ms%s", method, path, status, elapsed_ms, note)
        if self._contacts is not None:
            if status >= 500:
                self._contacts.failed(f"{method} {path} answered HTTP {status}")
            else:
                self._contacts.answered()

    def _log_failure(self, method: str, path: str, failure: str, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.warning("operator %s %s failed after %.0f ms: %s", method, path, elapsed_ms, failure)
        if self._contacts is not None:
            self._contacts.failed(f"{method} {path} failed: {failure}")


class SeedV1Operator(OAuthOperator):
    """The seed's Click to Dial API v1, over HTTPS with an OAuth2 client-credentials token."""

    @property
    def asks_for_recording(self) -> bool:
        # The seed's begin has no such field; an operator's own one is configured.
        return bool(self._config.record_field)

    # The interface ---------------------------------------------------------------------------

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        body: dict[str, Any] = {
            # The operator registered the business number as this very string (the seed's
            # example: 01052680000): it goes out as configured, never reformatted.
            "sponsor": sponsor,
            "caller": self._number(caller),
            "callee": self._number(callee),
        }
        if record is not None and self._config.record_field:
            body[self._config.record_field] = 1 if record else 0
        envelope = self._call(path="/clicktodialbegin", body=body, acts=True)
        callidentifier = self._callidentifier(envelope)
        if callidentifier is None:
            # The operator said yes, so a call may be ringing, but we cannot tell which one.
            raise OperatorOutcomeUnknown(
                message=gettext_noop(
                    "The operator accepted the call but did not say which call it is. "
                    "The phones may ring."
                ),
                code=_envelope_code(envelope),
                description="no callidentifier in the begin answer",
                http_status=200,
            )
        return callidentifier

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        self._call(
            path=f"/clicktodialrelease/{self._path_segment(callidentifier)}",
            body={"operation": ReleaseOperation(operation).value},
            acts=True,
        )

    def recording_download(
        self, *, callidentifier: str, recording_id: str, destination: BinaryIO
    ) -> int:
        if not recording_id:
            raise ValueError("recording_id must not be empty.")
        writer = Base64Writer(destination)
        envelope = self._call(
            path=f"/recordingdownload/{self._path_segment(callidentifier)}",
            body={"recordingId": recording_id},
            acts=False,
            read_timeout=self._config.download_timeout,
            stream_to=writer,
        )
        self._recording_received(writer, answer="download answer", code=_envelope_code(envelope))
        return writer.written

    # Requests --------------------------------------------------------------------------------

    def _number(self, e164: str) -> str:
        return format_for_operator(e164, number_format=self._config.number_format)

    @staticmethod
    def _callidentifier(envelope: dict[str, Any]) -> str | None:
        # The seed nests it in "result"; later versions spell it callIdentifier.
        for container in (envelope.get("result"), envelope):
            if not isinstance(container, dict):
                continue
            for key, value in container.items():
                if key.lower() == "callidentifier" and value not in (None, "", True, False):
                    return str(value).strip() or None
        return None

    def _call(
        self,
        *,
        path: str,
        body: dict[str, Any],
        acts: bool,
        read_timeout: float | None = None,
        stream_to: Base64Writer | None = None,
    ) -> dict[str, Any]:
        """POST ``body`` to ``path`` with the access token and return the success envelope.

        ``acts``: whether the request changes something at the operator (begin, release), which
        decides what a lost answer means. On 401 or code 0001004 the token is fetched again
        and the request sent once more; a second refusal raises AuthenticationFailure.
        ``stream_to``: where the recording's base64 string (``filedata``, ``result.filedata`` or
        ``result`` itself) is decoded to as it arrives.
        """
        answer = self._with_token(
            method="POST",
            url=self._config.base_url.rstrip("/") + path,
            body=body,
            acts=acts,
            read_timeout=read_timeout,
            stream_to=stream_to,
        )
        if self._token_refused(answer):
            raise AuthenticationFailure(
                code=answer.code, description=answer.description, http_status=answer.status
            )

        if answer.envelope is None:
            raise self._unreadable(answer.status, acts=acts)
        # A missing code on a 200 is read as success: refusing it could lose a placed call.
        if 200 <= answer.status < 300 and answer.code in (SUCCESS_CODE, None):
            return answer.envelope
        raise error_from_response(
            http_status=answer.status,
            code=answer.code,
            description=answer.description,
            rate_limited="Retry-After" in answer.headers,
        )
