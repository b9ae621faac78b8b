"""Reading the seed's status notifications (``clicktodialstatusnotify``).

Refused only when it cannot be understood at all: no status, or a status in words we do not know,
numbers that are no phone numbers, a time outside the calendar we keep (2000-2100). Everything
else is read as the operator meant it: a number written as a string or a float (``"125"``,
``30.0``), a key in another case, a time with or without milliseconds, ``Z`` or an offset, or no
time at all (the time it came); a ``reason`` outside the seed's list is kept as sent and means
``Other``, as does a Disconnected without one; a recording result we do not know fetches nothing.
Fields the seed does not define (``APPID`` and the like) are kept in ``extra``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from operator_api.base import (
    DisconnectReason,
    InvalidNotification,
    NotificationStatus,
    OperatorEvent,
    RecordingResult,
    StatusNotification,
    json_object,
)
from operator_api.numbers import InvalidPhoneNumber, normalize_number

# The statuses the seed's v1 notifications report.
V1_STATUSES = (
    NotificationStatus.CALLING_CALLER,
    NotificationStatus.CALLING_CALLEE,
    NotificationStatus.CONNECTED,
    NotificationStatus.DISCONNECTED,
)

# The seed's field names. Keys are matched exactly first, then without regard to case.
_CALLER = "caller"
_CALLEE = "callee"
_STATUS = "status"
_REASON = "reason"
_RECORDING_RESULT = "recordingResult"
_RECORDING_ID = "recordingId"
_CALL_DURATION = "callDuration"
_TIMESTAMP = "timeStamp"
_KNOWN_FIELDS = (
    _CALLER,
    _CALLEE,
    _STATUS,
    _REASON,
    _RECORDING_RESULT,
    _RECORDING_ID,
    _CALL_DURATION,
    _TIMESTAMP,
)
_BY_LOWER = {name.lower(): name for name in _KNOWN_FIELDS}

# ISO 8601 date and time (seconds and fraction optional), with "Z", an offset, or nothing.
# datetime.fromisoformat does the parsing; this only keeps out dates without a time and
# the other oddities fromisoformat would accept.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)?"
)

_Enum = TypeVar("_Enum", bound=StrEnum)


def _split_fields(payload: dict[Any, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    # Exact names win over case-insensitive ones, whatever order the keys came in.
    for key, value in payload.items():
        if key in _KNOWN_FIELDS:
            known[key] = value
    for key, value in payload.items():
        if key in _KNOWN_FIELDS:
            continue
        canonical = _BY_LOWER.get(key.lower()) if isinstance(key, str) else None
        if canonical is not None and canonical not in known:
            known[canonical] = value
        else:
            extra[str(key)] = value
    return known, extra


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(fields: dict[str, Any], name: str, *, default_region: str) -> str:
    value = fields.get(name)
    if _is_blank(value):
        raise InvalidNotification(field=name, problem="is missing")
    # The operator may send digits as a JSON number; a boolean is never a phone number.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidNotification(field=name, problem=f"{value!r} is not a phone number")
    try:
        return normalize_number(value, default_region=default_region)
    except InvalidPhoneNumber:
        raise InvalidNotification(
            field=name, problem=f"'{value}' is not a valid phone number"
        ) from None


def _choice(value: object, *, name: str, choices: Iterable[_Enum]) -> _Enum:
    if not isinstance(value, str):
        raise InvalidNotification(field=name, problem=f"{value!r} is not text")
    text = value.strip()
    by_lower = {member.value.lower(): member for member in choices}
    member = by_lower.get(text.lower())
    if member is None:
        allowed = ", ".join(member.value for member in choices)
        raise InvalidNotification(field=name, problem=f"'{value}' is not one of {allowed}")
    return member


def _known_choice(value: object, *, choices: Iterable[_Enum]) -> _Enum | None:
    """The choice ``value`` names, whatever its case; None for anything else."""
    if not isinstance(value, str):
        return None
    return {member.value.lower(): member for member in choices}.get(value.strip().lower())


def _reason(value: object) -> str:
    """A Disconnected's reason: the seed's spelling of one of its words, else the word as sent
    (which means Other), and Other when there is none."""
    if _is_blank(value):
        return DisconnectReason.OTHER
    known = _known_choice(value, choices=DisconnectReason)
    if known is not None:
        return known
    return str(value).strip()


def _duration(value: object) -> int | None:
    if _is_blank(value):
        return None
    name = _CALL_DURATION
    # bool is an int subclass, but True seconds means nothing.
    if isinstance(value, bool):
        raise InvalidNotification(field=name, problem=f"{value!r} is not a number of seconds")
    seconds: int
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float | str):
        try:
            number = float(value) if isinstance(value, float) else float(value.strip())
        except ValueError:
            raise InvalidNotification(
                field=name, problem=f"'{value}' is not a number of seconds"
            ) from None
        if not math.isfinite(number):
            raise InvalidNotification(field=name, problem=f"'{value}' is not a number of seconds")
        # Part of a second is a second begun: billed units are started ones too.
        seconds = math.ceil(number)
    else:
        raise InvalidNotification(field=name, problem=f"{value!r} is not a number of seconds")
    if seconds < 0:
        raise InvalidNotification(field=name, problem=f"{value!r} is negative")
    return seconds


# The times the portal keeps: a notification dated outside them is a fault (a year 9999 or 0001
# would break every date range that holds it), refused as invalid input.
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2100, 1, 1, tzinfo=UTC)


def _timestamp(value: object, *, received_at: datetime) -> datetime:
    name = _TIMESTAMP
    if _is_blank(value):
        # Required by the seed, but what happened is still clear: it happened about now.
        return received_at
    moment = _parsed_time(value)
    if not EARLIEST_TIMESTAMP <= moment < LATEST_TIMESTAMP:
        raise InvalidNotification(
            field=name,
            problem=f"'{value}' is outside {EARLIEST_TIMESTAMP.year}-{LATEST_TIMESTAMP.year}",
        )
    return moment


def _parsed_time(value: object) -> datetime:
    name = _TIMESTAMP
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value.strip()):
        raise InvalidNotification(
            field=name,
            problem=f"{value!r} is not an ISO 8601 time such as 2026-11-26T21:11:54.123Z",
        )
    text = value.strip().replace(",", ".")
    # fromisoformat wants at most 6 fraction digits and no space before the zone.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    text = re.sub(r"\s+(?=[Zz+-])", "", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidNotification(field=name, problem=f"'{value}' is not a valid time") from None
    # The seed says the time is in UTC; without a zone we take it at its word.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _recording_id(value: object) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise InvalidNotification(field=_RECORDING_ID, problem=f"{value!r} is not an identifier")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    raise InvalidNotification(field=_RECORDING_ID, problem=f"{value!r} is not an identifier")


def parse_status_notification(
    payload: object,
    *,
    default_region: str = "CN",
    statuses: Iterable[NotificationStatus] = V1_STATUSES,
    received_at: datetime | None = None,
) -> StatusNotification:
    """Parse one notification body (the decoded JSON object), or raise
    :class:`InvalidNotification` naming the field that is missing or wrong. ``statuses``: those
    the API reports (CAMARA's events are read with this too, with all of them). ``received_at``:
    when it came (now by default), its time when it carries none."""
    if not isinstance(payload, dict):
        raise InvalidNotification(
            field=None, problem=f"the notification must be a JSON object, not {payload!r}"
        )
    fields, extra = _split_fields(payload)

    caller = _number(fields, _CALLER, default_region=default_region)
    callee = _number(fields, _CALLEE, default_region=default_region)

    raw_status = fields.get(_STATUS)
    if _is_blank(raw_status):
        raise InvalidNotification(field=_STATUS, problem="is missing")
    status = _choice(raw_status, name=_STATUS, choices=statuses)

    # A reason only means something for the end of a call; operators send empty or stale
    # reasons with other statuses, which we ignore rather than refuse.
    reason: str | None = None
    if status is NotificationStatus.DISCONNECTED:
        reason = _reason(fields.get(_REASON))

    raw_result = fields.get(_RECORDING_RESULT)
    recording_result = _known_choice(raw_result, choices=RecordingResult)
    if recording_result is None and not _is_blank(raw_result):
        # Not a result we know: nothing is fetched, and the word is kept with the extra fields.
        extra[_RECORDING_RESULT] = raw_result

    return StatusNotification(
        caller=caller,
        callee=callee,
        status=status,
        reason=reason,
        call_duration=_duration(fields.get(_CALL_DURATION)),
        recording_result=recording_result,
        recording_id=_recording_id(fields.get(_RECORDING_ID)),
        timestamp=_timestamp(fields.get(_TIMESTAMP), received_at=received_at or datetime.now(UTC)),
        extra=extra,
    )


def parse_notification(
    body: bytes,
    *,
    callidentifier: str,
    default_region: str = "CN",
    received_at: datetime | None = None,
) -> OperatorEvent:
    """A notification's raw body, for the call its URL names, read once: the neutral event, or
    ValueError / InvalidNotification saying what could not be understood. ``received_at``: when
    it came (now by default), its time when it carries none."""
    notification = parse_status_notification(
        json_object(body), default_region=default_region, received_at=received_at
    )
    return OperatorEvent(callidentifier=callidentifier, notification=notification)
