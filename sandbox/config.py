"""How one sandbox operator runs: ``SandboxConfig``, in code or from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Where the portal takes the seed's notifications (the callidentifier is filled in per call).
NOTIFY_PATH = "/clicktodial/v1/clicktodialstatusnotify/{callidentifier}"

DEFAULT_NOTIFY_USERNAME = "sandbox-operator"
DEFAULT_NOTIFY_PASSWORD = "sandbox-notify-secret"  # noqa: S105 -- the documented test value
# The business numbers registered with the sandbox, as the operator wrote them: the seed's example
# and the demo's sales hotline. The strict sandbox accepts these strings only, character for
# character (so 861052680000 is not 01052680000).
DEFAULT_SPONSORS = ("01052680000", "02161230000")
HISTORY_LIMIT = 10_000  # requests, and notifications, kept for tests and for reading
CALLS_KEPT = 2_000  # calls kept once over (live calls are always kept)
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass
class SandboxConfig:
    """How one sandbox operator runs. ``port=0`` picks a free port (what tests want)."""

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"  # noqa: S105 -- the sandbox's documented test value
    notify_url: str = "http://127.0.0.1:8000" + NOTIFY_PATH
    # HTTP Basic credentials sent with notifications. None means not configured: the defaults
    # above are sent then, except in strict mode, which sends none (see notify_credentials).
    notify_username: str | None = None
    notify_password: str | None = None
    time_scale: float = 1.0  # multiplies every scenario delay
    token_ttl: int = 3600  # seconds an access token lives
    begin_delay_slow: float = 30.0  # real seconds the slow-begin answer is held (not scaled)
    # The least forgiving operator: begin fields beyond the seed's refused, sponsors that are not
    # registered refused, no notification credentials unless configured.
    strict: bool = False
    sponsors: tuple[str, ...] = DEFAULT_SPONSORS  # registered sponsors (checked when strict)
    history_limit: int = HISTORY_LIMIT
    calls_kept: int = CALLS_KEPT
    # Every n-th notification is sent twice (0: none), as an operator that resends one whose
    # answer it missed: the benchmark's "one duplicate in ten".
    duplicate_every: int = 0

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        if self.duplicate_every < 0:
            raise ValueError("duplicate_every must be 0 (none) or more")
        if self.history_limit < 1 or self.calls_kept < 1:
            raise ValueError("history_limit and calls_kept must be at least 1")

    @property
    def notify_credentials(self) -> tuple[str, str] | None:
        """The (username, password) notifications carry, or None to send them without any."""
        configured = self.notify_username is not None or self.notify_password is not None
        if self.strict and not configured:
            return None
        username = DEFAULT_NOTIFY_USERNAME if self.notify_username is None else self.notify_username
        password = DEFAULT_NOTIFY_PASSWORD if self.notify_password is None else self.notify_password
        return username, password

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SandboxConfig:
        """The configuration ``python -m sandbox`` uses; variable names match the portal's."""
        portal = environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        listed = environ.get("SANDBOX_SPONSORS", ",".join(DEFAULT_SPONSORS)).split(",")
        sponsors = [sponsor.strip() for sponsor in listed if sponsor.strip()]
        # The portal's own sponsor is one the enterprise registered, so the operator knows it.
        if environ.get("OPERATOR_SPONSOR") and environ["OPERATOR_SPONSOR"] not in sponsors:
            sponsors.append(environ["OPERATOR_SPONSOR"])
        return cls(
            host=environ.get("SANDBOX_HOST", "127.0.0.1"),
            port=int(environ.get("SANDBOX_PORT", "8100")),
            client_id=environ.get("OPERATOR_CLIENT_ID", "sandbox-client"),
            client_secret=environ.get("OPERATOR_CLIENT_SECRET", "sandbox-secret"),
            notify_url=portal + NOTIFY_PATH,
            # Unset or empty is "not configured": what strict mode needs to tell apart.
            notify_username=environ.get("OPERATOR_NOTIFY_USERNAME") or None,
            notify_password=environ.get("OPERATOR_NOTIFY_PASSWORD") or None,
            time_scale=float(environ.get("SANDBOX_TIME_SCALE", "1.0")),
            strict=environ.get("SANDBOX_STRICT", "").strip().lower() in _TRUE_WORDS,
            sponsors=tuple(sponsors),
        )
