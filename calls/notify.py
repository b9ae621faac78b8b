"""The endpoints the operator posts status notifications to: the seed's v1 one at its exact path,
and, at the end, CAMARA's events (OPERATOR_API=camara).

It checks the source address (optional allow-list), then the operator's HTTP Basic credentials
(compared in constant time; with OPERATOR_NOTIFY_AUTH=none, none, and the allow-list alone
decides), then the body's size, and hands the raw body to
`notification_receive`, which keeps it in the transaction that applies it (both or neither; what
could not be kept is answered 503 and sent again by the operator). Every answer, errors included,
is in the seed's body format, {"code": "<7 digits>", "description": "..."}; it does no slow work.

Decisions, with the seed's (operator API spec's) words:

- Content type. The seed defines the notification's fields ("Request Body Parameters: See above
  table") and shows JSON bodies with `Content-Type: application/json` in its examples, but never
  says which Content-Type the operator sends with a notification. So the body decides, not the
  header: a JSON object with the seed's fields is applied whatever the Content-Type says (or when
  there is none), and anything else is answered 400 0000002 "Invalid Input Value" and kept as
  invalid. Refusing a correct notification over a header would lose a call's outcome (and its
  bill) that the operator does not resend after a 4xx.
- Size. A notification is eight short fields, well under 1 KiB; the seed sets no limit. Bodies over
  NOTIFY_MAX_BODY_BYTES (64 KiB) are refused 413 0000002 before being read (by Content-Length),
  and the read itself is capped, so a lying or missing Content-Length cannot make us read more.
- Unknown call: the seed's 400 1001002 "Call ID Error" (not a 404).
- Storage trouble: a notification that could not be kept is answered 503 0000001 with
  Retry-After, never 200, so that the operator sends it again (the seed lists 503 among the
  notify answers); applying the same notification again changes nothing (duplicates are no-ops).
"""

import base64
import binascii
import hmac
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.checks import NOTIFY_AUTH_NONE
from calls.models import CallEvent
from calls.services.notifications import NotifyOutcome, camara_event_receive, notification_receive
from clicktodial_portal import metrics
from clicktodial_portal.logs import call_logging
from operator_api import V1_STATUSES, DisconnectReason, RecordingResult
from operator_api.camara import sink_credential_reference

logger = logging.getLogger(__name__)

# The largest body read; see the module's docstring.
NOTIFY_MAX_BODY_BYTES = 64 * 1024
# How long the operator is asked to wait before sending again what we could not keep.
NOTIFY_RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class NotifyAnswer:
    """What the notify endpoint answers the operator, in the seed's body format."""

    http_status: int
    code: str
    description: str


NOTIFY_BAD_BODY = NotifyAnswer(400, "0000002", "Invalid Input Value")
# What became of a notification, in the seed's words.
_V1_ANSWERS = {
    NotifyOutcome.TAKEN: NotifyAnswer(200, "0000000", "Success"),
    NotifyOutcome.INVALID: NOTIFY_BAD_BODY,
    NotifyOutcome.UNKNOWN_CALL: NotifyAnswer(400, "1001002", "Call ID Error"),
    NotifyOutcome.NOT_THIS_CALLS: NotifyAnswer(403, "0001004", "Authentication Failure"),
}
AUTHENTICATION_FAILURE = NotifyAnswer(401, "0001004", "Authentication Failure")
FORBIDDEN_ADDRESS = NotifyAnswer(403, "0001004", "Authentication Failure")
METHOD_NOT_ALLOWED = NotifyAnswer(405, "0000002", "Invalid Input Value")
BODY_TOO_LARGE = NotifyAnswer(413, "0000002", "Invalid Input Value")
INTERNAL_ERROR = NotifyAnswer(500, "0000001", "Internal Service Error")
NOT_STORED = NotifyAnswer(503, "0000001", "Internal Service Error")


def _answer(answer: NotifyAnswer) -> Response:
    response = Response(
        {"code": answer.code, "description": answer.description}, status=answer.http_status
    )
    if answer.http_status == 401:
        response["WWW-Authenticate"] = 'Basic realm="clicktodial-notify"'
    if answer.http_status == 503:
        response["Retry-After"] = str(NOTIFY_RETRY_AFTER_SECONDS)
    return response


def _address_allowed(remote_addr: str | None) -> bool:
    allowed = settings.OPERATOR_NOTIFY_ALLOWED_IPS
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    # A dual-stack server reports an IPv4 client as ::ffff:a.b.c.d; the list names it as IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _credentials_valid(authorization: str) -> bool:
    expected_user = settings.OPERATOR_NOTIFY_USERNAME.encode()
    expected_password = settings.OPERATOR_NOTIFY_PASSWORD.encode()
    if not expected_password:
        # With no secret configured, anyone could post: refuse everything instead (and
        # `manage.py check --deploy` fails, calls/checks.py).
        return False
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return False
    # Both compared, always, so that the time taken does not tell which one was wrong.
    user_ok = hmac.compare_digest(user, expected_user)
    password_ok = hmac.compare_digest(password, expected_password)
    return user_ok and password_ok


class OperatorNotifyAuthentication(BaseAuthentication):
    """How the operator proves a notification is its own (OPERATOR_NOTIFY_AUTH): its HTTP Basic
    credentials (OPERATOR_NOTIFY_USERNAME / _PASSWORD), or, with "none", nothing but its
    address, which the view has checked against OPERATOR_NOTIFY_ALLOWED_IPS by then."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, None]:
        if settings.OPERATOR_NOTIFY_AUTH == NOTIFY_AUTH_NONE:
            # Without an allow-list anyone could post (the portal refuses to start so,
            # calls/checks.py); should it run all the same, nothing is believed.
            if not settings.OPERATOR_NOTIFY_ALLOWED_IPS:
                raise exceptions.AuthenticationFailed()
        elif not _credentials_valid(request.META.get("HTTP_AUTHORIZATION", "")):
            raise exceptions.AuthenticationFailed()
        # The operator is no user of the portal.
        return AnonymousUser(), None

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="clicktodial-notify"'


class OperatorBasicScheme(OpenApiAuthenticationExtension):
    target_class = OperatorNotifyAuthentication
    name = "operatorBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The operator's credentials for status notifications.",
        }


class _AlwaysJSON(BaseContentNegotiation):
    """The seed's answers are JSON whatever the Accept header asks; the body is read raw."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _Refused(Exception):
    def __init__(self, answer: NotifyAnswer) -> None:
        self.answer = answer


def _body_read(request: Request) -> bytes:
    """The body, at most NOTIFY_MAX_BODY_BYTES of it; raises _Refused past that.

    A body sent with ``Transfer-Encoding: chunked`` has no Content-Length, so Django's own stream
    reads none of it; the server (gunicorn) has undone the chunking in ``wsgi.input``, which is
    read directly instead, and no further than the limit.
    """
    django_request = request._request
    meta = django_request.META
    declared = meta.get("CONTENT_LENGTH") or ""
    chunked = not declared and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    try:
        length = int(declared or "0")
    except ValueError:
        raise _Refused(NOTIFY_BAD_BODY) from None
    if length < 0:
        raise _Refused(NOTIFY_BAD_BODY)
    if length > NOTIFY_MAX_BODY_BYTES:
        raise _Refused(BODY_TOO_LARGE)
    if hasattr(django_request, "_body"):
        body = django_request._body  # already read (by a middleware, say)
    elif chunked and "wsgi.input" in meta:
        body = _read_at_most(meta["wsgi.input"], NOTIFY_MAX_BODY_BYTES + 1)
    else:
        body = django_request.read(NOTIFY_MAX_BODY_BYTES + 1)
    if len(body) > NOTIFY_MAX_BODY_BYTES:
        raise _Refused(BODY_TOO_LARGE)
    return body


def _read_at_most(stream, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``: a WSGI input may answer a read with fewer bytes than
    asked before its end, so read until the end or the limit."""
    parts: list[bytes] = []
    left = limit
    while left > 0:
        part = stream.read(min(left, 64 * 1024))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


_SEED_ANSWER = inline_serializer(
    name="OperatorNotifyAnswer",
    fields={
        "code": serializers.RegexField(
            r"^\d{7}$", help_text="Return code, 7 digits (0000000 is success)."
        ),
        "description": serializers.CharField(help_text="What the return code means."),
    },
)


def _documented(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=_SEED_ANSWER, description=description)


_notify_schema = extend_schema(
    operation_id="operator_status_notify",
    tags=["operator"],
    summary="Click to Dial status notify (called by the operator)",
    description=(
        "The operator reports a call's status. Every notification received is kept; the answer "
        "is the seed's {code, description}. The body is judged as JSON whatever the "
        "Content-Type; bodies over 64 KiB are refused unread."
    ),
    parameters=[
        OpenApiParameter(
            "callidentifier",
            str,
            OpenApiParameter.PATH,
            required=True,
            description="The call's identifier, as the operator's begin answer gave it.",
            pattern=r"^[A-Za-z0-9._~-]{1,100}$",
        )
    ],
    request={
        "application/json": inline_serializer(
            name="OperatorStatusNotification",
            fields={
                "caller": serializers.CharField(help_text="Calling party number (E.164)."),
                "callee": serializers.CharField(help_text="Called party number (E.164)."),
                "status": serializers.ChoiceField(choices=[s.value for s in V1_STATUSES]),
                "reason": serializers.ChoiceField(
                    choices=[r.value for r in DisconnectReason],
                    required=False,
                    help_text="Required when status is Disconnected.",
                ),
                "recordingResult": serializers.ChoiceField(
                    choices=[r.value for r in RecordingResult], required=False
                ),
                "recordingId": serializers.CharField(required=False, max_length=100),
                "callDuration": serializers.IntegerField(
                    required=False, min_value=0, help_text="Seconds; required when the call ends."
                ),
                "timeStamp": serializers.DateTimeField(help_text="UTC, YYYY-MM-DDThh:mm:ss.SSSZ."),
            },
        )
    },
    responses={
        200: _documented("Received notification (0000000 Success)."),
        400: _documented(
            "Invalid input (0000002 Invalid Input Value), or no such call (1001002 Call ID Error)."
        ),
        401: _documented("Missing or wrong credentials (0001004 Authentication Failure)."),
        403: _documented("Source address not allowed (0001004 Authentication Failure)."),
        413: _documented("Body over 64 KiB (0000002 Invalid Input Value)."),
        500: _documented("Internal error (0000001 Internal Service Error)."),
        503: _documented(
            "Could not be kept now; send it again after Retry-After (0000001 Internal Service "
            "Error)."
        ),
    },
)


class _OperatorCallbackView(APIView):
    """What both notification endpoints share: the operator's own authentication (no user
    session, no CSRF), the source address checked first, the body read raw, the answer timed."""

    # Authentication refuses whoever is not the operator; nothing more to permit.
    permission_classes: list = []
    throttle_classes: list = []
    parser_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AlwaysJSON
    # Over this, clicktodial_portal.request_body still calls the view, with nothing to read, so
    # that the refusal is answered (and recorded) in the operator's format by _body_read.
    request_body_max_bytes = NOTIFY_MAX_BODY_BYTES

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        started = time.perf_counter()
        with call_logging(callidentifier=str(kwargs.get("callidentifier", ""))):
            response = super().dispatch(request, *args, **kwargs)
        data = getattr(response, "data", None)
        code = data.get("code", "") if isinstance(data, dict) else ""
        metrics.NOTIFICATION_SECONDS.labels(code).observe(time.perf_counter() - started)
        return response

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        # The address first: a caller from elsewhere learns nothing about the credentials.
        if not _address_allowed(request.META.get("REMOTE_ADDR")):
            raise _Refused(FORBIDDEN_ADDRESS)
        super().initial(request, *args, **kwargs)


class StatusNotifyView(_OperatorCallbackView):
    authentication_classes = [OperatorNotifyAuthentication]

    @_notify_schema
    def post(self, request: Request, callidentifier: str) -> Response:
        remote_addr = request.META.get("REMOTE_ADDR")
        try:
            body = _body_read(request)
        except _Refused:
            # Authenticated but refused unread: on record all the same, with what we answered.
            CallEvent.objects.create(
                callidentifier=callidentifier[:200].replace("\x00", "\ufffd"),
                body="",
                remote_addr=remote_addr,
                outcome=CallEvent.Outcome.INVALID,
                detail=f"Body refused unread: Content-Length "
                f"{str(request.META.get('CONTENT_LENGTH'))[:40]}, the limit is "
                f"{NOTIFY_MAX_BODY_BYTES} bytes.",
            )
            raise
        outcome = notification_receive(
            callidentifier=callidentifier, body=body, remote_addr=remote_addr
        )
        return _answer(_V1_ANSWERS[outcome])

    def handle_exception(self, exc: Exception) -> Response:
        """Every refusal and failure in the seed's format; never a 200 for what was not kept."""
        return _answer(_failure_answer(exc))


def _failure_answer(exc: Exception) -> NotifyAnswer:
    """What a refusal or failure while taking a notification is answered."""
    if isinstance(exc, _Refused):
        return exc.answer
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return AUTHENTICATION_FAILURE
    if isinstance(exc, exceptions.MethodNotAllowed):
        return METHOD_NOT_ALLOWED
    if isinstance(exc, exceptions.APIException):
        return NotifyAnswer(exc.status_code, "0000002", "Invalid Input Value")
    if isinstance(exc, DatabaseError):
        logger.warning("notification not kept, the operator is asked to retry: %s", exc)
        return NOT_STORED
    logger.exception("notification failed")
    return INTERNAL_ERROR


# CAMARA's events -------------------------------------------------------------------------------
#
# With OPERATOR_API=camara the operator posts each call's status changes as CloudEvents
# (structured mode) to the `sink` the begin request named, presenting the `sinkCredential` the
# portal issued with it (operator_api.camara). Same checks and the same state machine as v1's
# notifications; the answers in CAMARA's error format, {"status", "code", "message"}, and 204
# for an event received.

# What became of an event, in CAMARA's words (None: 204, received).
_CAMARA_OUTCOMES: dict[NotifyOutcome, tuple[int, str, str] | None] = {
    NotifyOutcome.TAKEN: None,
    NotifyOutcome.INVALID: (400, "INVALID_ARGUMENT", "The event could not be understood."),
    NotifyOutcome.UNKNOWN_CALL: (404, "NOT_FOUND", "No call has this callId."),
    NotifyOutcome.NOT_THIS_CALLS: (403, "PERMISSION_DENIED", "Not allowed to send this event."),
}
# The refusals and failures both endpoints share (in v1's words) in CAMARA's.
_CAMARA_ANSWERS: dict[tuple[int, str], tuple[int, str, str]] = {
    (400, "0000002"): (400, "INVALID_ARGUMENT", "The event could not be understood."),
    (401, "0001004"): (401, "UNAUTHENTICATED", "Missing, invalid or expired credentials."),
    (403, "0001004"): (403, "PERMISSION_DENIED", "Not allowed to send this event."),
    (405, "0000002"): (405, "METHOD_NOT_ALLOWED", "Events are sent with POST."),
    (413, "0000002"): (
        400,
        "OUT_OF_RANGE",
        f"Events over {NOTIFY_MAX_BODY_BYTES} bytes are refused.",
    ),
    (500, "0000001"): (500, "INTERNAL", "The event could not be handled."),
    (503, "0000001"): (503, "UNAVAILABLE", "The event could not be kept now; send it again."),
}


def _camara_answer(answer: tuple[int, str, str] | None) -> Response:
    if answer is None:
        return Response(status=204)
    status, code, message = answer
    response = Response({"status": status, "code": code, "message": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="clicktodial-events"'
    if status == 503:
        response["Retry-After"] = str(NOTIFY_RETRY_AFTER_SECONDS)
    return response


class SinkCredentialAuthentication(BaseAuthentication):
    """The bearer token the portal gave the operator with a call (its `sinkCredential`); the
    call it was issued for is ``request.auth``."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, str]:
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        lifetime = settings.CAMARA_SINK_TOKEN_LIFETIME
        issued_for = sink_credential_reference(token.strip(), lifetime=lifetime)
        if scheme.lower() != "bearer" or issued_for is None:
            raise exceptions.AuthenticationFailed()
        return AnonymousUser(), issued_for

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="clicktodial-events"'


class SinkCredentialScheme(OpenApiAuthenticationExtension):
    target_class = SinkCredentialAuthentication
    name = "camaraSinkCredential"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The sinkCredential the portal sent with the call (CAMARA).",
        }


_CAMARA_ERROR = inline_serializer(
    name="CamaraErrorInfo",
    fields={
        "status": serializers.IntegerField(help_text="The HTTP status, again."),
        "code": serializers.CharField(help_text="CAMARA's error code, e.g. INVALID_ARGUMENT."),
        "message": serializers.CharField(help_text="What went wrong."),
    },
)


class CamaraEventView(_OperatorCallbackView):
    """CAMARA Click to Dial's status-changed events, as the operator posts them."""

    authentication_classes = [SinkCredentialAuthentication]

    @extend_schema(
        operation_id="operator_camara_event",
        tags=["operator"],
        summary="CAMARA Click to Dial status-changed event (called by the operator)",
        description=(
            "A CloudEvent in structured mode (application/cloudevents+json) of type "
            "org.camaraproject.click-to-dial.v0.status-changed. Every event received is kept; "
            "one whose id came before for its call changes nothing."
        ),
        request={"application/cloudevents+json": OpenApiTypes.OBJECT},
        responses={
            204: OpenApiResponse(description="Event received."),
            400: OpenApiResponse(_CAMARA_ERROR, description="Not a status-changed event."),
            401: OpenApiResponse(_CAMARA_ERROR, description="Missing or wrong sinkCredential."),
            403: OpenApiResponse(_CAMARA_ERROR, description="Source address not allowed."),
            404: OpenApiResponse(_CAMARA_ERROR, description="No call has this callId."),
            503: OpenApiResponse(_CAMARA_ERROR, description="Not kept now; send it again."),
        },
    )
    def post(self, request: Request) -> Response:
        remote_addr = request.META.get("REMOTE_ADDR")
        try:
            body = _body_read(request)
        except _Refused:
            CallEvent.objects.create(
                callidentifier="",
                body="",
                remote_addr=remote_addr,
                outcome=CallEvent.Outcome.INVALID,
                detail=f"Event refused unread: Content-Length "
                f"{str(request.META.get('CONTENT_LENGTH'))[:40]}, the limit is "
                f"{NOTIFY_MAX_BODY_BYTES} bytes.",
            )
            raise
        outcome = camara_event_receive(
            body=body, remote_addr=remote_addr, credential_for=request.auth
        )
        return _camara_answer(_CAMARA_OUTCOMES[outcome])

    def handle_exception(self, exc: Exception) -> Response:
        """Every refusal and failure in CAMARA's format; never a 2xx for what was not kept."""
        failure = _failure_answer(exc)
        return _camara_answer(
            _CAMARA_ANSWERS.get(
                (failure.http_status, failure.code),
                (failure.http_status, "INVALID_ARGUMENT", failure.description),
            )
        )
