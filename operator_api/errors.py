"""The operator's errors as typed exceptions, whichever API reports them: each API's package maps
its own codes onto these (v1's §4.4 table in :mod:`operator_api.v1.errors`).

Every exception carries the operator's own words (``code``, ``description``, ``http_status``),
a message an end user can act on (``message``, also ``str(exc)``), and ``permanent``: True when
sending the same request again cannot help, so callers know whether a retry is worth it.

Two classes describe the transport rather than the operator's verdict, because what a caller may
do next depends on whether the operator acted on the request:

- :class:`OperatorUnreachable`: the request certainly was not acted on. Retrying is safe.
- :class:`OperatorOutcomeUnknown`: the request may have been acted on but the answer was lost.
  A call may be ringing right now; retrying a begin could ring the phones twice.
"""

from __future__ import annotations

from typing import Any, ClassVar

# Messages are kept (in Call.error_message, a recording's error) in English, whoever was looking
# when they were made: they are only marked here, and translated where they are shown
# (calls.messages.stored_message). gettext_noop needs no Django settings.
from django.utils.translation import gettext_noop

__all__ = [
    "AuthenticationFailure",
    "CallIdError",
    "DirectionError",
    "EngineTimeout",
    "EnginesReturnError",
    "InternalServiceError",
    "InvalidInputValue",
    "NumberFormatError",
    "OperationError",
    "OperatorError",
    "OperatorOutcomeUnknown",
    "OperatorUnreachable",
    "PasswordError",
    "TrafficControlFailure",
    "UserInBlacklist",
    "UserNotExist",
    "UserStatusError",
    "error_by_status",
]


def _restore(cls: type[OperatorError], state: dict[str, Any]) -> OperatorError:
    return cls(**state)


class OperatorError(Exception):
    """The operator refused a request, failed, or could not be asked."""

    code_value: ClassVar[str | None] = None
    default_message: ClassVar[str] = gettext_noop(
        "The operator could not handle the request. Try again later."
    )
    default_permanent: ClassVar[bool] = False

    def __init__(
        self,
        *,
        message: str | None = None,
        code: str | None = None,
        description: str | None = None,
        http_status: int | None = None,
        permanent: bool | None = None,
    ) -> None:
        self.code = code if code is not None else self.code_value
        self.description = description
        self.http_status = http_status
        self.message = message if message is not None else self.default_message
        self.permanent = permanent if permanent is not None else self.default_permanent
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, description={self.description!r}, "
            f"http_status={self.http_status!r}, permanent={self.permanent!r})"
        )

    # Keyword-only constructors break the default exception pickling, which Celery result
    # backends and multiprocessing rely on; rebuild from the attributes instead.
    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            "message": self.message,
            "code": self.code,
            "description": self.description,
            "http_status": self.http_status,
            "permanent": self.permanent,
        }
        return (_restore, (type(self), state))


class OperatorUnreachable(OperatorError):
    """The request certainly did not reach the operator, or was not acted on: safe to retry."""

    default_message = gettext_noop(
        "The operator cannot be reached right now. Nothing was done; try again later."
    )
    default_permanent = False


class OperatorOutcomeUnknown(OperatorError):
    """The operator may have acted on the request, but its answer was lost.

    After a begin, a call may be in progress: do not retry blindly, wait for a notification.
    """

    default_message = gettext_noop(
        "The operator did not confirm the request in time. It may still have been carried out."
    )
    default_permanent = False


class InvalidInputValue(OperatorError):
    code_value = "0000002"
    default_message = gettext_noop("The operator rejected the request as invalid.")
    default_permanent = True


class UserNotExist(OperatorError):
    code_value = "0001001"
    default_message = gettext_noop(
        "The operator refused the call: the number or account is not registered with the "
        "operator's Click to Dial service."
    )
    default_permanent = True


class PasswordError(OperatorError):
    code_value = "0001003"
    default_message = gettext_noop(
        "The operator rejected the portal's password. An administrator must check the "
        "operator client secret."
    )
    default_permanent = True


class AuthenticationFailure(OperatorError):
    code_value = "0001004"
    default_message = gettext_noop(
        "The operator could not authenticate the portal. An administrator must check the "
        "operator credentials."
    )
    default_permanent = True


class UserInBlacklist(OperatorError):
    code_value = "0001008"
    default_message = gettext_noop(
        "The operator refused the call: the number is on the operator's blacklist."
    )
    default_permanent = True


class NumberFormatError(OperatorError):
    code_value = "1001001"
    default_message = gettext_noop(
        "The operator refused the call: a phone number is not in a form it accepts. Check the "
        "numbers and the operator number format setting."
    )
    default_permanent = True


class CallIdError(OperatorError):
    code_value = "1001002"
    default_message = gettext_noop(
        "The operator does not know this call. It may already have ended."
    )
    default_permanent = True


class OperationError(OperatorError):
    code_value = "1001003"
    default_message = gettext_noop("The operator refused this operation on the call.")
    default_permanent = True


class DirectionError(OperatorError):
    code_value = "1001004"
    default_message = gettext_noop(
        "The operator refused the call: calls in this direction are not allowed for this account."
    )
    default_permanent = True


class UserStatusError(OperatorError):
    """0001002, which the seed gives two meanings: "User Status Error" and "Traffic Control
    Failure". Nothing in the answer but its context tells them apart (descriptions come in
    English or Chinese, in any words), so without a sign of rate limiting it says both."""

    code_value = "0001002"
    default_message = gettext_noop(
        "The operator refused the call (code 0001002): the account or number is not active "
        "with the operator, or the operator is limiting calls right now. Try again in a few "
        "minutes; if it keeps happening, an administrator should check the account with the "
        "operator."
    )
    # Either reading may pass: a suspended account gets reinstated, a limit lifts.
    default_permanent = False


class TrafficControlFailure(OperatorError):
    """0001002 with a sign of rate limiting (HTTP 429, or a Retry-After header)."""

    code_value = "0001002"
    default_message = gettext_noop(
        "The operator is limiting the number of calls right now. Try again shortly."
    )
    default_permanent = False


class InternalServiceError(OperatorError):
    code_value = "0000001"
    default_message = gettext_noop("The operator had an internal error. Try again later.")
    default_permanent = False


class EnginesReturnError(OperatorError):
    code_value = "1000002"
    default_message = gettext_noop("The operator's call engine returned an error. Try again later.")
    default_permanent = False


class EngineTimeout(OperatorOutcomeUnknown):
    code_value = "1000001"
    default_message = gettext_noop(
        "The operator's call engine did not answer in time. The call may still have been placed."
    )
    default_permanent = False


# The messages of errors with no code of the table, kept in English (see the imports) with the
# operator's words in them; MESSAGE_TEMPLATES lets the place that shows one translate it.
REFUSED_WITH_CODE = gettext_noop(
    "The operator refused the request: %(description)s (code %(code)s)."
)
REFUSED_WITH_CODE_RETRY = gettext_noop(
    "The operator refused the request: %(description)s (code %(code)s). Try again later."
)
REFUSED = gettext_noop("The operator refused the request: %(description)s.")
REFUSED_RETRY = gettext_noop("The operator refused the request: %(description)s. Try again later.")
UNEXPLAINED = gettext_noop(
    "The operator answered with an unexplained error (HTTP %(http_status)s)."
)
UNEXPLAINED_RETRY = gettext_noop(
    "The operator answered with an unexplained error (HTTP %(http_status)s). Try again later."
)
# Most specific first: the first that matches a message whole is the one it was made from.
MESSAGE_TEMPLATES = (
    REFUSED_WITH_CODE_RETRY,
    REFUSED_WITH_CODE,
    UNEXPLAINED_RETRY,
    UNEXPLAINED,
    REFUSED_RETRY,
    REFUSED,
)


def error_by_status(
    *, http_status: int, code: str | None, description: str | None
) -> OperatorError:
    """An error answer read by its HTTP status alone, when the API's own code table had nothing
    to say of its code (or there was none). Returned, not raised, so the caller raises it.

    A 4xx is a refusal (for good, but 429). Anything else may have been carried out: a server
    error or a gateway's page (the operator behind it may have acted), or a success carrying a
    code no one knows; the outcome is unknown, so what acts is never sent again on its own.
    """
    details: dict[str, Any] = {
        "code": code,
        "description": description,
        "http_status": http_status,
    }
    if not 400 <= http_status < 500:
        return OperatorOutcomeUnknown(**details)
    permanent = http_status != 429
    if description and code:
        template = REFUSED_WITH_CODE if permanent else REFUSED_WITH_CODE_RETRY
    elif description or code:
        template = REFUSED if permanent else REFUSED_RETRY
    else:
        template = UNEXPLAINED if permanent else UNEXPLAINED_RETRY
    message = template % {
        "description": description or code,
        "code": code,
        "http_status": http_status,
    }
    return OperatorError(message=message, permanent=permanent, **details)
