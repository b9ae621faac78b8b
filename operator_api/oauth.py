"""What every operator API here shares: an OAuth2 client-credentials token kept for all
processes (:class:`TokenStore`), when the operator last answered (:class:`ContactLog`), and
:class:`OAuthOperator`, the base of each API's adapter: requests sent with the token (fetched
again once when refused), answers read as they arrive with a recording's base64 streamed out,
and what a lost answer means for a request that acts (a phone may be ringing) or only reads.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote, quote_plus, urlsplit

import requests
import requests.auth
import requests.exceptions
from django.utils.translation import gettext_noop

from operator_api.base import OperatorConfig, TokenAuth
from operator_api.errors import (
    AuthenticationFailure,
    OperatorError,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    error_by_status,
)
from operator_api.session import (
    BearerAuth,
    NoAuth,
    OperatorAnswer,
    envelope_code,
    failure_name,
    http_session,
    nothing_sent,
)
from operator_api.streaming import (
    AnswerParser,
    Base64Writer,
    CorruptFiledata,
    UnreadableAnswer,
)

logger = logging.getLogger("operator_api")

_AUTHENTICATION_FAILURE_CODE = "0001004"
# OAuth2 makes expires_in optional; without it, keep the token only briefly.
_DEFAULT_TOKEN_LIFETIME = 300
# Bytes read off the socket at a time: the answer is parsed as it arrives, never held whole.
_READ_CHUNK = 64 * 1024


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


class OAuthOperator:
    """What every operator API here shares: an OAuth2 client-credentials token (kept for all
    processes in the shared cache), the process's HTTP session, answers read as they arrive,
    what a failed request means, and the log lines. The API itself is a subclass's:
    :class:`SeedV1Operator`, :class:`operator_api.camara.CamaraOperator`."""

    # Where an answer holds a recording's audio, in base64 (streamed, never kept whole): paths of
    # object keys from the top, lower-cased. The first names it in errors.
    RECORDING_PATHS: tuple[tuple[str, ...], ...] = ()

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
            auth = NoAuth()
            form |= {"client_id": config.client_id, "client_secret": config.client_secret}

        path = urlsplit(config.token_url).path
        started = time.monotonic()
        try:
            response = http_session().post(
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
            name = failure_name(exc)
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
                code=envelope_code(payload),
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
            with http_session().request(
                method,
                url,
                json=body,
                auth=BearerAuth(token),
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
            name = failure_name(exc)
            self._log_failure(method, path, name, started)
            if nothing_sent(exc):
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
        """The error for an answer that is not a JSON object (an HTML error page, say): read by
        its status; a success whose body cannot be read may have been carried out."""
        if not 200 <= status < 300:
            return error_by_status(http_status=status, code=None, description=None)
        if acts:
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


def _corrupt_recording(exc: CorruptFiledata) -> OperatorError:
    return OperatorError(
        message=gettext_noop("The operator sent a recording that could not be decoded."),
        description=f"filedata: {exc}",
        http_status=200,
        # The same request gets the same bytes: an admin retries by hand if the operator fixes it.
        permanent=True,
    )
