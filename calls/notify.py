"""The endpoint the operator posts status notifications to, at the seed's exact path.

It authenticates the operator (HTTP Basic, compared in constant time; optional IP allow-list),
then hands the raw body to `notification_receive`, which keeps it before deciding anything. It
answers in the seed's body format and codes, and does no slow work itself.
"""

import base64
import binascii
import hmac
import ipaddress

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.services import NotifyAnswer, notification_receive

AUTHENTICATION_FAILURE = NotifyAnswer(401, "0001004", "Authentication Failure")
FORBIDDEN_ADDRESS = NotifyAnswer(403, "0001004", "Authentication Failure")


def _answer(answer: NotifyAnswer) -> Response:
    response = Response(
        {"code": answer.code, "description": answer.description}, status=answer.http_status
    )
    if answer.http_status == 401:
        response["WWW-Authenticate"] = 'Basic realm="clicktodial-notify"'
    return response


def _address_allowed(remote_addr: str | None) -> bool:
    allowed = settings.OPERATOR_NOTIFY_ALLOWED_IPS
    if not allowed:
        return True
    if not remote_addr:
        return False
    address = ipaddress.ip_address(remote_addr)
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _credentials_valid(authorization: str) -> bool:
    expected_user = settings.OPERATOR_NOTIFY_USERNAME.encode()
    expected_password = settings.OPERATOR_NOTIFY_PASSWORD.encode()
    if not expected_password:
        # With no secret configured, anyone could post: refuse everything instead.
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


@extend_schema(exclude=True)
class StatusNotifyView(APIView):
    # The operator authenticates with its own Basic credentials, checked below; no user session.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request: Request, callidentifier: str) -> Response:
        remote_addr = request.META.get("REMOTE_ADDR")
        if not _address_allowed(remote_addr):
            return _answer(FORBIDDEN_ADDRESS)
        if not _credentials_valid(request.META.get("HTTP_AUTHORIZATION", "")):
            return _answer(AUTHENTICATION_FAILURE)
        answer = notification_receive(
            callidentifier=callidentifier, body=request.body, remote_addr=remote_addr
        )
        return _answer(answer)
