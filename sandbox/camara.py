"""CAMARA Click to Dial 0.1.0-rc.1's endpoints under ``/click-to-dial/v0.1rc1``: create a call,
read it, end it (DELETE) and fetch its recording, answered with CAMARA's errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.calls import utcnow
from sandbox.errors import (
    CAMARA_CALL_ENDED,
    CAMARA_FOR_V1,
    CAMARA_INVALID_ARGUMENT,
    CAMARA_INVALID_PHONE_NUMBER,
    CAMARA_METHOD_NOT_ALLOWED,
    CAMARA_NOT_FOUND,
    CAMARA_SAME_CALLER_CALLEE,
    CAMARA_UNAUTHENTICATED,
    INTERNAL_SERVICE_ERROR,
    ApiError,
)
from sandbox.events import camara_resource
from sandbox.httpd import Response, json_object
from sandbox.scenarios import DISCONNECTED, scenario_for
from sandbox.shapes import seed_timestamp
from sandbox.switchboard import Switchboard
from sandbox.tokens import Tokens

# CAMARA Click to Dial 0.1.0-rc.1: its servers' URL is {apiRoot}/click-to-dial/v0.1rc1.
CAMARA_PREFIX = "/click-to-dial/v0.1rc1"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class CamaraApi:
    """CAMARA's four endpoints over the operator's switchboard."""

    def __init__(self, tokens: Tokens, switchboard: Switchboard) -> None:
        self._tokens = tokens
        self._switchboard = switchboard
        # (method, path) -> endpoint
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = [
            ("POST", re.compile(CAMARA_PREFIX + r"/calls"), self._create),
            # An empty callId ("/calls/") is answered 400, as CAMARA's test definitions ask.
            ("GET", re.compile(CAMARA_PREFIX + r"/calls/([^/]*)"), self._get),
            ("DELETE", re.compile(CAMARA_PREFIX + r"/calls/([^/]*)"), self._delete),
            ("GET", re.compile(CAMARA_PREFIX + r"/calls/([^/]*)/recording"), self._recording),
        ]

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Response:
        """Answer a request for a path under CAMARA_PREFIX."""
        matched = False
        for route_method, pattern, endpoint in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            matched = True
            if method != route_method:
                continue
            self._tokens.authenticate(headers, CAMARA_UNAUTHENTICATED)
            if match.groups() and not match.group(1):
                raise ApiError(CAMARA_INVALID_ARGUMENT)  # no callId
            if method == "POST":
                try:
                    data = json_object(raw)
                except ApiError:
                    raise ApiError(CAMARA_INVALID_ARGUMENT) from None
                return endpoint(data)
            return endpoint(*match.groups())
        raise ApiError(CAMARA_METHOD_NOT_ALLOWED if matched else CAMARA_NOT_FOUND)

    def _create(self, data: dict[str, Any]) -> Response:
        numbers = []
        for party in ("caller", "callee"):
            value = data.get(party)
            number = value.get("number") if isinstance(value, dict) else None
            if not isinstance(number, str):
                raise ApiError(CAMARA_INVALID_ARGUMENT)
            if not _E164.fullmatch(number):
                raise ApiError(CAMARA_INVALID_PHONE_NUMBER)
            numbers.append(number)
        caller, callee = numbers
        if caller == callee:
            raise ApiError(CAMARA_SAME_CALLER_CALLEE)
        sink, credential = data.get("sink"), data.get("sinkCredential")
        token = credential.get("accessToken") if isinstance(credential, dict) else None
        if sink is not None and (
            not isinstance(sink, str)
            or not sink.startswith(("http://", "https://"))
            or not isinstance(token, str)
            or credential.get("credentialType") != "ACCESSTOKEN"
        ):
            raise ApiError(CAMARA_INVALID_ARGUMENT)
        record = data.get("recordingEnabled", True)
        if not isinstance(record, bool):
            raise ApiError(CAMARA_INVALID_ARGUMENT)
        scenario = scenario_for(callee)
        refusal = None
        if scenario.begin_error is not None:
            refusal = CAMARA_FOR_V1.get(scenario.begin_error, CAMARA_INVALID_ARGUMENT)
        if not scenario.places_call:
            raise ApiError(refusal)
        call = self._switchboard.place(
            "",
            caller,
            callee,
            scenario,
            record=record,
            api="camara",
            sink=sink or "",
            sink_token=token or "",
        )
        if refusal is not None:
            raise ApiError(refusal)  # the call rings all the same
        if scenario.slow_begin:
            self._switchboard.hold_slow_answer()
        return Response(201, camara_resource(call))

    def _get(self, call_id: str) -> Response:
        with self._switchboard.lock:
            call = self._switchboard.calls.get(call_id)
            if call is None or call.api != "camara":
                raise ApiError(CAMARA_NOT_FOUND)
            return Response(200, camara_resource(call))

    def _delete(self, call_id: str) -> Response:
        with self._switchboard.lock:
            call = self._switchboard.calls.get(call_id)
            if call is None or call.api != "camara":
                raise ApiError(CAMARA_NOT_FOUND)
            if call.state == DISCONNECTED:
                raise ApiError(CAMARA_CALL_ENDED)
            self._switchboard.hang_up(call)
        return Response(204, {})

    def _recording(self, call_id: str) -> Response:
        with self._switchboard.lock:
            call = self._switchboard.calls.get(call_id)
            if call is None or call.api != "camara" or call.recording_id is None:
                raise ApiError(CAMARA_NOT_FOUND)
            call.download_attempts += 1
            if call.download_attempts <= call.scenario.download_failures:
                raise ApiError(CAMARA_FOR_V1[INTERNAL_SERVICE_ERROR])
        body = {
            "callId": call_id,
            "content": call.recording_filedata(),
            "contentType": "audio/wav",
            "generatedAt": seed_timestamp(call.ended_at or utcnow()),
        }
        return Response(200, body)
