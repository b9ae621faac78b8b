"""The seed's error answers (§4.4), as the sandbox sends them.

Each answer is one constant so the scenarios and the endpoints name the same HTTP status, 7-digit
code and description, and the portal's error mapping is exercised with the operator's exact words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorError:
    """One error answer: the HTTP status and the seed's ``{"code", "description"}`` body.

    ``code_field`` names the member that carries the code: ``code`` in the seed's markdown,
    ``status`` in its OpenAPI file's examples, so the portal must read both.
    """

    status: int
    code: str
    description: str
    code_field: str = "code"

    def body(self) -> dict[str, str]:
        return {self.code_field: self.code, "description": self.description}


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
# The seed's table gives 1000001 with 504; the platform the portal met answered it with 503.
ENGINE_TIMEOUT = OperatorError(503, "1000001", "Engine Timeout")
# The variants other operators answer with (the scenarios that send them say why).
USER_NOT_EXIST = OperatorError(400, "0001001", "User Not Exist")
USER_NOT_EXIST_IN_STATUS = OperatorError(400, "0001001", "User Not Exist", code_field="status")
USER_STATUS_ERROR_IN_CHINESE = OperatorError(403, "0001002", "用户状态错误")
# Not in the seed's table: the seed answers unknown paths and wrong methods with its generic code.
NOT_FOUND = OperatorError(404, "0000002", "Invalid Input Value")
METHOD_NOT_ALLOWED = OperatorError(405, "0000002", "Invalid Input Value")


class ApiError(Exception):
    """Raised inside an endpoint to stop and answer with ``error`` (v1's or CAMARA's)."""

    def __init__(self, error: OperatorError | CamaraError) -> None:
        super().__init__(f"{error.status} {error.code}")
        self.error = error


# CAMARA Click to Dial 0.1's answers: {"status", "code", "message"}.


@dataclass(frozen=True)
class CamaraError:
    """One CAMARA error answer."""

    status: int
    code: str
    message: str

    def body(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "message": self.message}


CAMARA_INVALID_ARGUMENT = CamaraError(
    400, "INVALID_ARGUMENT", "Client specified an invalid argument, request body or query param."
)
CAMARA_UNAUTHENTICATED = CamaraError(
    401,
    "UNAUTHENTICATED",
    "Request not authenticated due to missing, invalid, or expired credentials.",
)
CAMARA_NOT_FOUND = CamaraError(404, "NOT_FOUND", "The specified resource is not found.")
CAMARA_METHOD_NOT_ALLOWED = CamaraError(405, "METHOD_NOT_ALLOWED", "The method is not allowed.")
CAMARA_CALL_ENDED = CamaraError(409, "CONFLICT", "The call has already ended.")
CAMARA_INVALID_PHONE_NUMBER = CamaraError(
    422, "INVALID_PHONE_NUMBER", "Caller or callee number is not a valid E.164 phone number."
)
CAMARA_SAME_CALLER_CALLEE = CamaraError(
    422, "SAME_CALLER_CALLEE", "Caller and callee cannot be the same number."
)
CAMARA_INTERNAL = CamaraError(500, "INTERNAL", "Unknown server error.")

# What a scenario's refused begin is in CAMARA's words (any other: 400 INVALID_ARGUMENT).
CAMARA_FOR_V1: dict[OperatorError, CamaraError] = {
    USER_IN_BLACKLIST: CamaraError(
        422,
        "CALLEE_NOT_AVAILABLE",
        "Callee number is currently not reachable or not allowed to receive a call.",
    ),
    INTERNAL_SERVICE_ERROR: CAMARA_INTERNAL,
    SERVICE_UNAVAILABLE: CamaraError(503, "UNAVAILABLE", "Service Unavailable."),
    TRAFFIC_CONTROL_FAILURE: CamaraError(429, "TOO_MANY_REQUESTS", "Rate limit reached."),
    ENGINE_TIMEOUT: CamaraError(504, "TIMEOUT", "Request timeout exceeded."),
}
