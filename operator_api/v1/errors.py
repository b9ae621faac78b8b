"""The seed's §4.4 error codes, read into :mod:`operator_api.errors` exceptions.

Which reading an answer gets decides what may follow (the README's retry table): a code that
says the outcome is unknown (1000001) whatever the HTTP status, a gateway's status without an
operator code, or the operator's own 503, before the code table.
"""

from __future__ import annotations

from typing import Any

from operator_api.errors import (
    AuthenticationFailure,
    CallIdError,
    DirectionError,
    EnginesReturnError,
    EngineTimeout,
    InternalServiceError,
    InvalidInputValue,
    NumberFormatError,
    OperationError,
    OperatorError,
    PasswordError,
    TrafficControlFailure,
    UserInBlacklist,
    UserNotExist,
    UserStatusError,
    error_by_status,
)

SUCCESS_CODE = "0000000"

# 0001002 is shared by UserStatusError and TrafficControlFailure; error_from_response tells
# them apart by the answer's context. The table keeps the reading that says both.
ERROR_CODES: dict[str, type[OperatorError]] = {
    cls.code_value: cls
    for cls in (
        InternalServiceError,
        InvalidInputValue,
        UserNotExist,
        UserStatusError,
        PasswordError,
        AuthenticationFailure,
        UserInBlacklist,
        EngineTimeout,
        EnginesReturnError,
        NumberFormatError,
        CallIdError,
        OperationError,
        DirectionError,
    )
    if cls.code_value is not None
}


# Codes whose outcome is unknown whatever the HTTP status: the engine may have placed the call.
_OUTCOME_UNKNOWN_CODES = frozenset({EngineTimeout.code_value})


def error_from_response(
    *,
    http_status: int,
    code: str | None,
    description: str | None,
    rate_limited: bool = False,
) -> OperatorError:
    """Turn an operator's error answer (HTTP status, body ``code`` and ``description``) into
    the matching exception. Returned, not raised, so the caller raises it with context.

    What a caller may do next follows the README's retry table: only an exception that says
    nothing was done (:class:`OperatorUnreachable`) may be sent again on its own;
    :class:`OperatorOutcomeUnknown` never is. ``rate_limited``: the answer carried a sign of
    rate limiting (HTTP 429 or Retry-After), which is how 0001002 is read as traffic control.
    """
    details: dict[str, Any] = {
        "code": code,
        "description": description,
        "http_status": http_status,
    }
    if code in _OUTCOME_UNKNOWN_CODES:
        return EngineTimeout(**details)
    if code == UserStatusError.code_value and (rate_limited or http_status == 429):
        return TrafficControlFailure(**details)
    cls = ERROR_CODES.get(code or "")
    if cls is not None:
        # The operator's own verdict, whatever status a gateway in between gave it.
        return cls(**details)
    return error_by_status(**details)
