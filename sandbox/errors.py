"""The seed's error answers (§4.4), as the sandbox sends them.

Each answer is one constant so the scenarios and the endpoints name the same HTTP status, 7-digit
code and description, and the portal's error mapping is exercised with the operator's exact words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorError:
    """One error answer: the HTTP status and the seed's ``{"code", "description"}`` body."""

    status: int
    code: str
    description: str

    def body(self) -> dict[str, str]:
        return {"code": self.code, "description": self.description}


SUCCESS: dict[str, str] = {"code": "0000000", "description": "Success"}

INVALID_INPUT = OperatorError(400, "0000002", "Invalid Input Value")
AUTHENTICATION_FAILURE = OperatorError(401, "0001004", "Authentication Failure")
USER_IN_BLACKLIST = OperatorError(400, "0001008", "User In Blacklist")
NUMBER_FORMAT_ERROR = OperatorError(400, "1001001", "Number Format Error")
CALL_ID_ERROR = OperatorError(400, "1001002", "Call ID Error")
OPERATION_ERROR = OperatorError(400, "1001003", "Operation Error")
DIRECTION_ERROR = OperatorError(400, "1001004", "Direction Error")
TRAFFIC_CONTROL_FAILURE = OperatorError(403, "0001002", "Traffic Control Failure")
INTERNAL_SERVICE_ERROR = OperatorError(500, "0000001", "Internal Service Error")
SERVICE_UNAVAILABLE = OperatorError(503, "0000001", "Service Unavailable")
# Not in the seed's table: the seed answers unknown paths and wrong methods with its generic code.
NOT_FOUND = OperatorError(404, "0000002", "Invalid Input Value")
METHOD_NOT_ALLOWED = OperatorError(405, "0000002", "Invalid Input Value")


class ApiError(Exception):
    """Raised inside an endpoint to stop and answer with ``error``."""

    def __init__(self, error: OperatorError) -> None:
        super().__init__(f"{error.status} {error.code} {error.description}")
        self.error = error
