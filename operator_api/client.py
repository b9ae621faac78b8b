"""The operator adapter interface, and its first implementation: the seed's v1 Click to Dial API.

:class:`ClickToDialOperator` is the one interface the rest of the portal uses (begin, release,
recording download). :class:`SeedV1Operator` speaks the seed over HTTP with an OAuth2
client-credentials token that :class:`TokenStore` shares between all processes through the
Django cache. Every answer that is not a success becomes an :mod:`operator_api.errors` exception.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote, quote_plus, urlsplit

import httpx
from django.utils.translation import gettext_noop

from operator_api.answers import AnswerParser, Base64Writer, CorruptFiledata, UnreadableAnswer
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
    # earlier API calls it "record"; the seed has none). Empty: never sent.
    record_field: str = "record"

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


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs about 20 ms; one context serves every client in the process.
    return httpx.create_ssl_context()


class _BorrowedTransport(httpx.BaseTransport):
    """Lends a caller's transport to a short-lived client without letting the client close it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        # The caller who created the transport closes it.
        pass


@dataclass
class OperatorAnswer:
    """An operator answer: HTTP status and its JSON envelope (None when not a JSON object)."""

    status: int
    envelope: dict[str, Any] | None
    headers: httpx.Headers = field(default_factory=httpx.Headers)

    @property
    def code(self) -> str | None:
        if self.envelope is None:
            return None
        return _code_text(self.envelope.get("code"))

    @property
    def description(self) -> str | None:
        if self.envelope is None:
            return None
        value = self.envelope.get("description")
        return None if value is None else str(value)


def _code_text(value: object) -> str | None:
    # The seed's codes are 7-digit strings; a JSON number loses the leading zeros.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(int(value)).zfill(7)
    text = str(value).strip()
    return text or None


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
    processes in the shared cache), a short-lived HTTP client per operation, answers read as they
    arrive, and the log lines. The API itself is a subclass's: :class:`SeedV1Operator`,
    :class:`operator_api.camara.CamaraOperator`."""

    # The answer's string that holds a recording's audio, in base64 (streamed, never kept whole).
    RECORDING_KEY = "filedata"

    def __init__(
        self,
        config: OperatorConfig,
        *,
        token_store: TokenStore,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._config = config
        self._tokens = token_store
        self._transport = transport
        self._token_key = TokenStore.key_for(token_url=config.token_url, client_id=config.client_id)

    @property
    def config(self) -> OperatorConfig:
        return self._config

    def access_token_check(self, *, timeout: float) -> None:
        timeout = min(timeout, self._config.connect_timeout, self._config.read_timeout)
        with self._client(read_timeout=timeout, connect_timeout=timeout) as client:
            self._access_token(client)

    def _client(self, *, read_timeout: float, connect_timeout: float | None = None) -> httpx.Client:
        connect_timeout = connect_timeout or self._config.connect_timeout
        timeout = httpx.Timeout(
            connect=connect_timeout,
            read=read_timeout,
            write=self._config.read_timeout,
            pool=connect_timeout,
        )
        if self._transport is not None:
            return httpx.Client(transport=_BorrowedTransport(self._transport), timeout=timeout)
        # A client per operation: adapters are built per use, and nothing is left open after.
        return httpx.Client(verify=_ssl_context(), timeout=timeout)

    # The token -------------------------------------------------------------------------------

    def _access_token(self, client: httpx.Client) -> str:
        return self._tokens.get_or_fetch(
            key=self._token_key, fetch=lambda: self._fetch_token(client)
        )

    def _fetch_token(self, client: httpx.Client) -> tuple[str, int]:
        """Ask the token endpoint for a token; return it with how long to cache it."""
        config = self._config
        form = {"grant_type": "client_credentials"}
        auth: httpx.BasicAuth | None = None
        if config.token_auth == TokenAuth.BASIC:
            # RFC 6749 §2.3.1: id and secret are form-encoded before going into Basic auth.
            auth = httpx.BasicAuth(quote_plus(config.client_id), quote_plus(config.client_secret))
        else:
            form |= {"client_id": config.client_id, "client_secret": config.client_secret}

        path = urlsplit(config.token_url).path
        started = time.monotonic()
        try:
            response = client.post(
                config.token_url, data=form, auth=auth, headers={"Accept": "application/json"}
            )
        except httpx.RequestError as exc:
            # Asking for a token changes nothing at the operator: whatever went wrong, no call
            # was placed and asking again is safe.
            self._log_failure("POST", path, exc, started)
            raise OperatorUnreachable(description=type(exc).__name__) from exc
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
                code=_code_text(payload.get("code")),
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
        except (TypeError, ValueError):
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
        with self._client(read_timeout=read_timeout or self._config.read_timeout) as client:
            for attempt in (1, 2):
                token = self._access_token(client)
                answer = self._request(
                    client,
                    method=method,
                    url=url,
                    body=body,
                    token=token,
                    acts=acts,
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
        client: httpx.Client,
        *,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        token: str,
        acts: bool,
        stream_to: Base64Writer | None = None,
        headers: dict[str, str] | None = None,
    ) -> OperatorAnswer:
        """Send one request with the token; its answer, parsed as it arrives.

        ``acts``: whether the request changes something at the operator, which decides what a
        lost answer means. ``stream_to``: where the recording's base64 string is decoded to.
        """
        path = urlsplit(url).path
        started = time.monotonic()
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            **(headers or {}),
        }
        try:
            with client.stream(method, url, json=body, headers=headers) as response:
                # Parsed as it comes off the socket: a recording's base64 is decoded into
                # ``stream_to`` on the way, and neither the body nor the string is ever whole.
                parser = AnswerParser(stream_to=stream_to, streamed_key=self.RECORDING_KEY)
                envelope: dict[str, Any] | None = None
                try:
                    for chunk in response.iter_bytes(_READ_CHUNK):
                        parser.feed(chunk)
                    envelope = parser.close()
                except UnreadableAnswer:
                    # Not JSON, or cut off: read no further; the status decides what it means.
                    envelope = None
                except CorruptFiledata as exc:
                    raise _corrupt_recording(exc) from None
                self._log(method, path, response.status_code, started, self._log_note(response))
                return OperatorAnswer(response.status_code, envelope, response.headers)
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.UnsupportedProtocol,
        ) as exc:
            # Nothing left this machine, or nothing reached the operator: nothing was done.
            self._log_failure(method, path, exc, started)
            raise OperatorUnreachable(description=type(exc).__name__) from exc
        except httpx.RequestError as exc:
            # Read timeouts, dropped connections, failed writes: the request may have arrived.
            self._log_failure(method, path, exc, started)
            if acts:
                raise OperatorOutcomeUnknown(description=type(exc).__name__) from exc
            raise OperatorError(
                message=gettext_noop("The operator did not finish answering. Try again later."),
                description=type(exc).__name__,
                permanent=False,
            ) from exc

    @staticmethod
    def _unreadable(status: int, *, acts: bool) -> OperatorError:
        """The error for an answer that is not a JSON object (an HTML error page, say)."""
        if status in (503, 504) or 400 <= status < 500:
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
        field = self.RECORDING_KEY
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
    def _log_note(response: httpx.Response) -> str:
        """What an API adds to a request's log line (CAMARA: the answer's x-correlator)."""
        return ""

    @staticmethod
    def _log(method: str, path: str, status: int, started: float, note: str = "") -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info("operator %s %s -> %d in %.0f ms%s", method, path, status, elapsed_ms, note)

    @staticmethod
    def _log_failure(method: str, path: str, exc: Exception, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.warning(
            "operator %s %s failed after %.0f ms: %s",
            method,
            path,
            elapsed_ms,
            type(exc).__name__,
        )


class SeedV1Operator(OAuthOperator):
    """The seed's Click to Dial API v1, over HTTPS with an OAuth2 client-credentials token."""

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
            "sponsor": self._number(sponsor),
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
                code=_code_text(envelope.get("code")),
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
        self._recording_received(
            writer, answer="download answer", code=_code_text(envelope.get("code"))
        )
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
        ``stream_to``: where a ``filedata`` string in the answer is decoded to as it arrives.
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
            http_status=answer.status, code=answer.code, description=answer.description
        )
