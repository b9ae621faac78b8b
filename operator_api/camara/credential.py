"""The credential the portal gives a CAMARA operator with each call (its ``sinkCredential``): a
bearer token, signed with SECRET_KEY, good for that call only and for a lifetime, which the
operator presents when it posts the call's events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing


@dataclass(frozen=True)
class SinkCredential:
    """The bearer token the operator is to present when it posts our call's events."""

    access_token: str
    expires_at: datetime

    def as_body(self) -> dict[str, str]:
        expires = self.expires_at.astimezone(UTC).isoformat(timespec="seconds")
        return {
            "credentialType": "ACCESSTOKEN",
            "accessToken": self.access_token,
            "accessTokenExpiresUtc": expires.replace("+00:00", "Z"),
            "accessTokenType": "bearer",
        }


_SINK_SALT = "clicktodial.camara.sink-credential"


def sink_credential_issue(reference: str, *, lifetime: int) -> SinkCredential:
    """A new token for the operator to present with one call's events: the portal's id for the
    call and a random part, signed with SECRET_KEY and dated, so that it is checked with no
    state kept, names the only call it is good for, and runs out."""
    value = f"{reference}.{secrets.token_urlsafe(12)}"
    token = signing.TimestampSigner(salt=_SINK_SALT).sign(value)
    return SinkCredential(token, datetime.now(UTC) + timedelta(seconds=lifetime))


def sink_credential_reference(token: str, *, lifetime: int) -> str | None:
    """The call a token the portal issued less than ``lifetime`` seconds ago is good for (signed
    with SECRET_KEY, or one of SECRET_KEY_FALLBACKS while keys are being rotated); None for
    any other token."""
    try:
        value = signing.TimestampSigner(salt=_SINK_SALT).unsign(token, max_age=lifetime)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    return value.rpartition(".")[0]
