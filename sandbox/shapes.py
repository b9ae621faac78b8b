"""How the sandbox writes what it sends: the seed's shapes, and the variants real operators use.

The seed's two documents (its markdown and its OpenAPI file) already disagree, and a real platform
differs again: durations as text, timestamps without milliseconds or in local time, extra fields,
chunked bodies, the recording in another place. The scenarios that send a variant name it here, so
the portal meets each one on demand and everything else keeps the seed's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

# Beijing time: the offset an operator writing local time would use.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


def seed_timestamp(moment: datetime) -> str:
    """The seed's ``YYYY-MM-DDThh:mm:ss.SSSZ`` (UTC, milliseconds)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _timestamp_in_seconds(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp_with_offset(moment: datetime) -> str:
    local = moment.astimezone(CHINA_STANDARD_TIME)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}+08:00"


_TIMESTAMPS = {
    "seed": seed_timestamp,  # 2026-11-26T21:15:00.123Z
    "seconds": _timestamp_in_seconds,  # 2026-11-26T21:15:00Z
    "offset": _timestamp_with_offset,  # 2026-11-27T05:15:00.123+08:00
}
_DURATIONS = {
    "seed": int,  # 20
    "string": str,  # "20"
    "float": float,  # 20.0
    "decimal_string": lambda seconds: f"{seconds}.0",  # "20.0"
}


@dataclass(frozen=True)
class NotificationShape:
    """How one scenario's v1 status notifications are written and sent."""

    timestamp: str = "seed"  # a key of _TIMESTAMPS
    duration: str = "seed"  # a key of _DURATIONS
    # Members the seed does not define, added to every notification.
    extra: Mapping[str, str] = field(default_factory=dict)
    # Sent with Transfer-Encoding: chunked and no Content-Length.
    chunked: bool = False

    def __post_init__(self) -> None:
        if self.timestamp not in _TIMESTAMPS or self.duration not in _DURATIONS:
            raise ValueError(f"unknown notification shape: {self.timestamp}, {self.duration}")

    def write_timestamp(self, moment: datetime) -> str:
        return _TIMESTAMPS[self.timestamp](moment)

    def write_duration(self, seconds: int) -> int | str | float:
        return _DURATIONS[self.duration](seconds)


SEED_NOTIFICATION = NotificationShape()


# Where a recording download's base64 audio goes, beside the seed's code and description.
RECORDING_PLACEMENTS = {
    # The seed's markdown: {"code", "description", "filedata"}.
    "top": lambda filedata: {"filedata": filedata},
    # The seed's OpenAPI file: {"code", "description", "result": {"filedata"}}.
    "result": lambda filedata: {"result": {"filedata": filedata}},
    # Another reading of it: {"code", "description", "result": "<base64>"}.
    "bare_result": lambda filedata: {"result": filedata},
}
