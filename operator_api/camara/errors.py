"""CAMARA's error codes, read into the same :mod:`operator_api.errors` exceptions as v1's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from operator_api.errors import (
    AuthenticationFailure,
    CallIdError,
    InternalServiceError,
    InvalidInputValue,
    NumberFormatError,
    OperationError,
    OperatorError,
    OperatorOutcomeUnknown,
    TrafficControlFailure,
    UserStatusError,
    error_by_status,
)

# CAMARA's error codes (its OpenAPI file and CAMARA_common.yaml) and what each means here. The
# messages are shown to the user who clicked, translated where shown (calls.messages).
_CODES: dict[str, tuple[type[OperatorError], str | None]] = {
    "INVALID_ARGUMENT": (InvalidInputValue, None),
    "OUT_OF_RANGE": (InvalidInputValue, None),
    "UNAUTHENTICATED": (AuthenticationFailure, None),
    "PERMISSION_DENIED": (
        AuthenticationFailure,
        gettext_noop(
            "The operator does not allow the portal this operation. An administrator must check "
            "the portal's access with the operator."
        ),
    ),
    "INVALID_TOKEN_CONTEXT": (AuthenticationFailure, None),
    "NOT_FOUND": (CallIdError, None),
    # A DELETE of a call that has already ended, for instance.
    "CONFLICT": (OperationError, None),
    "CALL_ALREADY_ACTIVE": (
        OperationError,
        gettext_noop(
            "The operator refused the call: a call between these two numbers is already in "
            "progress."
        ),
    ),
    "INVALID_PHONE_NUMBER": (NumberFormatError, None),
    "SAME_CALLER_CALLEE": (
        InvalidInputValue,
        gettext_noop("The operator refused the call: the caller and the callee are one number."),
    ),
    "RECORDING_NOT_SUPPORTED": (
        InvalidInputValue,
        gettext_noop("The operator refused the call: it cannot record this call."),
    ),
    "CALLER_NOT_AVAILABLE": (
        UserStatusError,
        gettext_noop(
            "The operator refused the call: your phone cannot be reached, or may not start "
            "calls, right now."
        ),
    ),
    "CALLEE_NOT_AVAILABLE": (
        UserStatusError,
        gettext_noop(
            "The operator refused the call: the number called cannot be reached, or may not "
            "receive calls, right now."
        ),
    ),
    "TOO_MANY_REQUESTS": (TrafficControlFailure, None),
    "QUOTA_EXCEEDED": (TrafficControlFailure, None),
    "INTERNAL": (InternalServiceError, None),
    # CAMARA's own 503: its service says it is unavailable (not a gateway's page).
    "UNAVAILABLE": (
        InternalServiceError,
        gettext_noop("The operator's service is unavailable right now. Try again later."),
    ),
    # CAMARA's own 504: the request may still have been carried out.
    "TIMEOUT": (OperatorOutcomeUnknown, None),
}


def camara_error(*, http_status: int, code: str | None, message: str | None) -> OperatorError:
    """The exception for a CAMARA error answer. Returned, not raised, as error_from_response."""
    details: dict[str, Any] = {"code": code, "description": message, "http_status": http_status}
    known = _CODES.get(code or "")
    if known is not None:
        cls, text = known
        return cls(message=text, **details) if text else cls(**details)
    if http_status == 429:
        return TrafficControlFailure(**details)
    # No code of CAMARA's: read by the status (a gateway's 5xx page: the outcome is unknown).
    return error_by_status(http_status=http_status, code=code, description=message or code)
