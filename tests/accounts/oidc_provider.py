"""An OpenID Connect provider the tests start: discovery, a sign-in page, the authorization code
flow with PKCE, RS256 ID tokens, userinfo and its keys, over HTTP on 127.0.0.1. The person who
signs in is whoever the test puts in `person` (their claims); the page's button signs them in."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "click-to-dial"
CLIENT_SECRET = "provider-secret-for-tests"
KEY_ID = "test-key-1"


@dataclass
class Provider:
    issuer: str = ""
    person: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    # What the portal asked for, for the tests to check.
    authorizations: list[dict] = field(default_factory=list)
    # Claims the userinfo endpoint leaves out (some providers give groups in the ID token only).
    userinfo_without: set[str] = field(default_factory=set)
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def code_for(self, request: dict) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**request, "claims": dict(self.person)}
        return code

    def token_for(self, form: dict) -> dict | None:
        grant = self.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return None
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.decode().rstrip("=") != grant.get("code_challenge"):
            return None
        claims = grant["claims"]
        now = int(time.time())
        id_token = jwt.encode(
            {
                "iss": self.issuer,
                "sub": claims["sub"],
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": grant.get("nonce"),
                **claims,
            },
            self.key,
            algorithm="RS256",
            headers={"kid": KEY_ID},
        )
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = claims
        return {"access_token": access_token, "token_type": "Bearer", "id_token": id_token}


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                claims = provider.tokens.get(token)
                if claims is None:
                    self._json(401, {"error": "invalid_token"})
                else:
                    given = {k: v for k, v in claims.items() if k not in provider.userinfo_without}
                    self._json(200, given)
            elif url.path == "/authorize":
                provider.authorizations.append(query)
                hidden = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in query.items()
                )
                who = html.escape(provider.person.get("email", "?"))
                page = (
                    "<!doctype html><title>Example Corp sign-in</title><h1>Example Corp</h1>"
                    f'<form method="post" action="/authorize">{hidden}'
                    f"<button>Continue as {who}</button></form>"
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path == "/authorize":
                code = provider.code_for(form)
                target = (
                    form["redirect_uri"] + "?" + urlencode({"code": code, "state": form["state"]})
                )
                self._send(302, b"", "text/plain", Location=target)
            elif self.path == "/token":
                tokens = provider.token_for(form)
                self._json(200, tokens) if tokens else self._json(400, {"error": "invalid_grant"})
            else:
                self._json(404, {"error": "not_found"})

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def oidc_provider(settings) -> Iterator[Provider]:
    """The provider, running, and the portal configured for it by its issuer alone."""
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Example Corp"
    yield provider
    server.shutdown()
    server.server_close()


def signed_in(portal_url: str, provider: Provider) -> requests.Response:
    """The whole flow as a browser goes through it, without one: the portal's redirect to the
    provider, the provider's sign-in (its button pressed), the redirect back; the page it lands
    on."""
    session = requests.Session()
    to_provider = session.get(f"{portal_url}/oidc/authenticate/", allow_redirects=False, timeout=10)
    location = to_provider.headers.get("Location", "")
    if not location.startswith(provider.issuer):
        return session.get(portal_url + location, timeout=10) if location else to_provider
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    back = session.post(
        f"{provider.issuer}/authorize", data=query, allow_redirects=False, timeout=10
    )
    return session.get(back.headers["Location"], timeout=10)
