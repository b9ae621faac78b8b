"""The seed's Click to Dial API v1: its adapter, its notifications and its error codes."""

from operator_api.v1.client import SeedV1Operator
from operator_api.v1.errors import ERROR_CODES, SUCCESS_CODE, error_from_response
from operator_api.v1.notifications import (
    V1_STATUSES,
    parse_notification,
    parse_status_notification,
)

__all__ = [
    "ERROR_CODES",
    "SUCCESS_CODE",
    "V1_STATUSES",
    "SeedV1Operator",
    "error_from_response",
    "parse_notification",
    "parse_status_notification",
]
