"""The sandbox's OAuth2 server: client-credentials tokens issued at ``/oauth2/token`` and checked
on every API request, expiring after ``token_ttl`` or when revoked."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from urllib.parse import parse_qs, unquote_plus

from sandbox.config import SandboxConfig
from sandbox.errors import AUTHENTICATION_FAILURE, ApiError, CamaraError, OperatorError
from sandbox.httpd import Response

TOKEN_PATH = "/oauth2/token"  # noqa: S105 -- a URL path, not a secret


class Tokens:
    """The tokens issued and not yet expired, each with its monotonic expiry."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._expiries: dict[str, float] = {}

    def token_endpoint(self, method: str, headers: dict[str, str], raw: bytes) -> Response:
        """Client-credentials grant; credentials by HTTP Basic or in the form (RFC 6749 §2.3.1)."""
        if method != "POST":
            return Response(405, {"error": "invalid_request"}, {"Allow": "POST"})
        form = _form(raw)
        basic = _basic_credentials(headers.get("authorization", ""))
        in_form = (form.get("client_id", ""), form.get("client_secret", ""))
        client_id, client_secret = basic or in_form
        if not self._client_ok(client_id, client_secret):
            return Response(
                401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="sandbox"'}
            )
        grant = form.get("grant_type")
        if not grant:
            return Response(400, {"error": "invalid_request"})
        if grant != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(32)
        ttl = self._config.token_ttl
        now = time.monotonic()
        with self._lock:
            self._expiries = {t: exp for t, exp in self._expiries.items() if exp > now}
            self._expiries[token] = now + ttl
        body = {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
        return Response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def authenticate(
        self,
        headers: dict[str, str],
        refusal: OperatorError | CamaraError = AUTHENTICATION_FAILURE,
    ) -> None:
        """Pass a request bearing a live token; answer any other with ``refusal``."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            expiry = self._expiries.get(token)
        if scheme.lower() != "bearer" or expiry is None or expiry <= time.monotonic():
            raise ApiError(refusal)

    def revoke_all(self) -> None:
        with self._lock:
            self._expiries.clear()

    def _client_ok(self, client_id: str, client_secret: str) -> bool:
        # RFC 6749 §2.3.1 form-encodes Basic credentials; most clients do not. Accept both.
        decoded = (unquote_plus(client_id), unquote_plus(client_secret))
        for cid, secret in {(client_id, client_secret), decoded}:
            id_ok = hmac.compare_digest(cid.encode(), self._config.client_id.encode())
            secret_ok = hmac.compare_digest(secret.encode(), self._config.client_secret.encode())
            if id_ok and secret_ok:
                return True
        return False


def _form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, first value of each field."""
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """``(id, secret)`` from an HTTP Basic header; None when the header is not Basic."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret
