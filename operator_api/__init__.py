"""The operator's Click to Dial API, as one interface for the rest of the portal.

``get_operator()`` builds the configured adapter from Django settings (OPERATOR_API). Everything
else is plain Python with no Django models: the adapter interface and the neutral types the rest
of the portal sees (:mod:`.base`), the OAuth2 token and the base adapter (:mod:`.oauth`), the
HTTP session (:mod:`.session`), answers read as they arrive (:mod:`.streaming`), the errors
(:mod:`.errors`), phone number forms (:mod:`.numbers`); then one package per API, owning its
client, its notification parser and its error codes: :mod:`.v1` (the seed's) and :mod:`.camara`.
Nothing outside this package sees a wire format.
"""

from __future__ import annotations

from operator_api.base import (
    CallState,
    ClickToDialOperator,
    DisconnectReason,
    InvalidNotification,
    NotificationStatus,
    OperatorConfig,
    OperatorEvent,
    RecordingResult,
    ReleaseOperation,
    StatusNotification,
    TokenAuth,
)
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
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    PasswordError,
    TrafficControlFailure,
    UserInBlacklist,
    UserNotExist,
    UserStatusError,
)
from operator_api.numbers import (
    InvalidPhoneNumber,
    NumberFormat,
    format_for_operator,
    normalize_number,
)
from operator_api.oauth import ContactLog, OAuthOperator, TokenStore
from operator_api.v1 import (
    ERROR_CODES,
    V1_STATUSES,
    SeedV1Operator,
    error_from_response,
    parse_status_notification,
)

__all__ = [
    "ERROR_CODES",
    "V1_STATUSES",
    "AuthenticationFailure",
    "CallIdError",
    "CallState",
    "ClickToDialOperator",
    "ContactLog",
    "DirectionError",
    "DisconnectReason",
    "EngineTimeout",
    "EnginesReturnError",
    "InternalServiceError",
    "InvalidInputValue",
    "InvalidNotification",
    "InvalidPhoneNumber",
    "NotificationStatus",
    "NumberFormat",
    "NumberFormatError",
    "OAuthOperator",
    "OperationError",
    "OperatorConfig",
    "OperatorError",
    "OperatorEvent",
    "OperatorOutcomeUnknown",
    "OperatorUnreachable",
    "PasswordError",
    "RecordingResult",
    "ReleaseOperation",
    "SeedV1Operator",
    "StatusNotification",
    "TokenAuth",
    "TokenStore",
    "TrafficControlFailure",
    "UserInBlacklist",
    "UserNotExist",
    "UserStatusError",
    "error_from_response",
    "format_for_operator",
    "get_operator",
    "normalize_number",
    "parse_status_notification",
]


def get_operator() -> ClickToDialOperator:
    """Build the operator adapter the settings describe, with its token in the shared cache.

    A new adapter per call is cheap and means settings overrides (in tests) always apply.
    """
    # Imported here: the settings are read when an adapter is built, not when this is imported.
    from django.conf import settings
    from django.core.cache import cache

    config = OperatorConfig(
        base_url=settings.OPERATOR_API_BASE_URL,
        token_url=settings.OPERATOR_TOKEN_URL,
        client_id=settings.OPERATOR_CLIENT_ID,
        client_secret=settings.OPERATOR_CLIENT_SECRET,
        token_auth=getattr(settings, "OPERATOR_TOKEN_AUTH", TokenAuth.POST.value),
        number_format=getattr(settings, "OPERATOR_NUMBER_FORMAT", NumberFormat.DIGITS.value),
        connect_timeout=float(getattr(settings, "OPERATOR_CONNECT_TIMEOUT", 5.0)),
        read_timeout=float(getattr(settings, "OPERATOR_READ_TIMEOUT", 10.0)),
        download_timeout=float(getattr(settings, "OPERATOR_DOWNLOAD_TIMEOUT", 300.0)),
        record_field=getattr(settings, "OPERATOR_RECORD_FIELD", ""),
    )
    if settings.OPERATOR_API == "camara":
        from django.urls import reverse

        from operator_api.camara import CamaraOperator, sink_credential_issue

        lifetime = settings.CAMARA_SINK_TOKEN_LIFETIME
        return CamaraOperator(
            config,
            token_store=TokenStore(cache),
            contacts=ContactLog(cache),
            sink_url=settings.PORTAL_BASE_URL.rstrip("/") + reverse("operator-camara-events"),
            sink_credential=lambda reference: sink_credential_issue(reference, lifetime=lifetime),
        )
    return SeedV1Operator(config, token_store=TokenStore(cache), contacts=ContactLog(cache))
