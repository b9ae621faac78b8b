"""The seed's Click to Dial v1 endpoints under ``/clicktodial/v1``: begin, release and recording
download, each a POST of JSON with a bearer token, answered with the seed's codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.errors import (
    CALL_ID_ERROR,
    DIRECTION_ERROR,
    INTERNAL_SERVICE_ERROR,
    INVALID_INPUT,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    NUMBER_FORMAT_ERROR,
    OPERATION_ERROR,
    SUCCESS,
    USER_NOT_EXIST,
    ApiError,
)
from sandbox.httpd import Response, json_object
from sandbox.scenarios import DISCONNECTED, MATCH_DIGITS, scenario_for
from sandbox.shapes import RECORDING_PLACEMENTS
from sandbox.switchboard import Switchboard
from sandbox.tokens import Tokens

API_PREFIX = "/clicktodial/v1"
_NUMBER = re.compile(r"\+?[0-9]{5,15}")
# The begin request's fields in the seed; the strict sandbox refuses any other.
SEED_BEGIN_FIELDS = frozenset({"sponsor", "caller", "callee"})


class V1Api:
    """The three v1 endpoints over the operator's switchboard."""

    def __init__(self, config: SandboxConfig, tokens: Tokens, switchboard: Switchboard) -> None:
        self._config = config
        self._tokens = tokens
        self._switchboard = switchboard
        self._routes: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
            (re.compile(API_PREFIX + r"/clicktodialbegin"), self._begin),
            (re.compile(API_PREFIX + r"/clicktodialrelease/([^/]+)"), self._release),
            (re.compile(API_PREFIX + r"/recordingdownload/([^/]+)"), self._download),
        ]

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Response:
        """Answer a request for any path that is not the token endpoint's or CAMARA's."""
        for pattern, endpoint in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != "POST":
                raise ApiError(METHOD_NOT_ALLOWED)
            self._tokens.authenticate(headers)
            return endpoint(json_object(raw), *match.groups())
        raise ApiError(NOT_FOUND)

    def _begin(self, data: dict[str, Any]) -> Response:
        strict = self._config.strict
        if strict and not data.keys() <= SEED_BEGIN_FIELDS:
            raise ApiError(INVALID_INPUT)  # e.g. "record": the seed's begin has no such field
        sponsor, caller, callee = _required(data, "sponsor", "caller", "callee")
        if not all(_NUMBER.fullmatch(number) for number in (sponsor, caller, callee)):
            raise ApiError(NUMBER_FORMAT_ERROR)
        if strict and sponsor not in self._config.sponsors:
            raise ApiError(USER_NOT_EXIST)  # not a business number registered with us
        if caller.lstrip("+")[-MATCH_DIGITS:] == callee.lstrip("+")[-MATCH_DIGITS:]:
            raise ApiError(DIRECTION_ERROR)
        record = _record_flag(data.get("record", 1))
        scenario = scenario_for(callee)
        if not scenario.places_call:
            raise ApiError(scenario.begin_error)
        call = self._switchboard.place(sponsor, caller, callee, scenario, record=record)
        if scenario.begin_error is not None:
            raise ApiError(scenario.begin_error)  # the call rings all the same
        if scenario.slow_begin:
            self._switchboard.hold_slow_answer()
        return Response(200, {**SUCCESS, "result": {"callidentifier": call.callidentifier}})

    def _release(self, data: dict[str, Any], callidentifier: str) -> Response:
        (operation,) = _required(data, "operation")
        with self._switchboard.lock:
            call = self._switchboard.calls.get(callidentifier)
            if call is None:
                raise ApiError(CALL_ID_ERROR)
            if operation not in ("EndCall", "Continue"):
                raise ApiError(INVALID_INPUT)
            if call.state == DISCONNECTED:
                raise ApiError(OPERATION_ERROR)
            if operation == "EndCall":
                self._switchboard.hang_up(call)
        return Response(200, dict(SUCCESS))

    def _download(self, data: dict[str, Any], callidentifier: str) -> Response:
        (recording_id,) = _required(data, "recordingId")
        with self._switchboard.lock:
            call = self._switchboard.calls.get(callidentifier)
            if call is None:
                raise ApiError(CALL_ID_ERROR)
            if call.recording_id is None or recording_id != call.recording_id:
                raise ApiError(INVALID_INPUT)
            call.download_attempts += 1
            if call.download_attempts <= call.scenario.download_failures:
                raise ApiError(INTERNAL_SERVICE_ERROR)
        filedata = call.recording_filedata()
        placement = call.scenario.filedata
        if placement == "corrupt":
            return Response(200, {**SUCCESS, "filedata": filedata})
        return Response(200, {**SUCCESS, **RECORDING_PLACEMENTS[placement](filedata)})


def _record_flag(value: object) -> bool:
    """The begin request's "record" (the operator's earlier API): 0 or 1, as a number or text."""
    if value in (0, 1, "0", "1", True, False):
        return value in (1, "1", True)
    raise ApiError(INVALID_INPUT)


def _required(data: dict[str, Any], *names: str) -> tuple[str, ...]:
    """The named fields, each a non-empty string, or 0000002 Invalid Input Value."""
    values = tuple(data.get(name) for name in names)
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise ApiError(INVALID_INPUT)
    return tuple(str(value) for value in values)
