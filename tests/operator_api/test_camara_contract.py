"""The CAMARA Click to Dial 0.1.0-rc.1 contract, checked on both sides of it.

The schemas below are the parts of the API definition (camaraproject/ClickToDial,
`code/API_definitions/click-to-dial.yaml`, Apache 2.0) the portal relies on, written out here as
JSON Schema, and the tests follow its test definitions (`code/Test_definitions/*.feature`), one
test per scenario, named by the scenario's tag. They hold to the contract: the portal's adapter
(what it sends), the sandbox operator (what it answers and the events it sends, which the
portal's own tests then trust) and the portal's sink (what it answers). A change to either side
that breaks the contract fails here.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
import pytest
import requests
from django.core.cache.backends.locmem import LocMemCache
from requests.structures import CaseInsensitiveDict

from operator_api import OperatorConfig, TokenStore
from operator_api.camara import CAMARA_VERSION, CamaraOperator, SinkCredential
from sandbox import SandboxConfig, SandboxOperator
from sandbox.server import CAMARA_PREFIX

E164 = {"type": "string", "pattern": r"^\+[1-9]\d{1,14}$"}
STATE = {
    "enum": ["initiating", "callingCaller", "callingCallee", "connected", "disconnected", "failed"]
}
REASON = {
    "enum": [
        "hangUp",
        "callerBusy",
        "callerNoAnswer",
        "callerFailure",
        "callerAbandon",
        "calleeBusy",
        "calleeNoAnswer",
        "calleeFailure",
        "other",
    ]
}
DATE_TIME = {"type": "string", "format": "date-time"}
PARTY = {
    "type": "object",
    "properties": {"number": E164},
    "required": ["number"],
}
CREATE_CALL_REQUEST = {
    "type": "object",
    "properties": {
        "caller": PARTY,
        "callee": PARTY,
        "sink": {"type": "string", "format": "uri"},
        "sinkCredential": {
            "type": "object",
            "properties": {
                "credentialType": {"enum": ["ACCESSTOKEN"]},
                "accessToken": {"type": "string"},
                "accessTokenExpiresUtc": DATE_TIME,
                "accessTokenType": {"enum": ["bearer"]},
            },
            "required": [
                "credentialType",
                "accessToken",
                "accessTokenExpiresUtc",
                "accessTokenType",
            ],
        },
        "recordingEnabled": {"type": "boolean"},
    },
    "required": ["caller", "callee"],
}
CALL = {
    "type": "object",
    "properties": {
        "callId": {"type": "string"},
        "caller": PARTY,
        "callee": PARTY,
        "status": STATE,
        "createdAt": DATE_TIME,
        "recordingEnabled": {"type": "boolean"},
    },
    "required": ["callId", "caller", "callee", "status", "createdAt"],
}
ERROR_INFO = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "message": {"type": "string"},
    },
    "required": ["status", "code", "message"],
}
RECORDING = {
    "type": "object",
    "properties": {
        "callId": {"type": "string"},
        "content": {"type": "string"},
        "contentType": {"enum": ["audio/wav", "audio/mp3", "audio/mpeg", "audio/ogg"]},
        "generatedAt": DATE_TIME,
    },
    "required": ["callId", "content", "contentType"],
}
STATUS_CHANGED_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "source": {"type": "string", "minLength": 1},
        "type": {"enum": ["org.camaraproject.click-to-dial.v0.status-changed"]},
        "specversion": {"enum": ["1.0"]},
        "datacontenttype": {"enum": ["application/json"]},
        "time": DATE_TIME,
        "data": {
            "type": "object",
            "properties": {
                "callId": {"type": "string"},
                "caller": E164,
                "callee": E164,
                "status": {
                    "type": "object",
                    "properties": {"state": STATE, "reason": REASON},
                    "required": ["state"],
                },
                "recordingResult": {"enum": ["success", "noRecord", "fail"]},
                "callDuration": {"type": "string"},
                "timestamp": DATE_TIME,
            },
            "required": ["callId", "caller", "callee", "status", "timestamp"],
        },
    },
    "required": ["id", "source", "specversion", "type", "time", "data"],
}
X_CORRELATOR = r"^[a-zA-Z0-9-_:;./<>{}]{0,256}$"

CALLER = "+8613912345673"


def complies(instance: object, schema: dict) -> None:
    jsonschema.validate(instance, schema, format_checker=jsonschema.FormatChecker())


@dataclass(frozen=True)
class Event:
    """One POST the sink received."""

    path: str
    headers: CaseInsensitiveDict[str]
    body: bytes


class Sink:
    """Where the sandbox posts a call's events, over real HTTP: it keeps them and answers 204."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/events"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                sink.events.append(
                    Event(self.path, CaseInsensitiveDict(self.headers.items()), self._body())
                )
                self.send_response(204)
                self.end_headers()

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    return self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b""
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Sink:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Api(requests.Session):
    """The sandbox's CAMARA API: paths relative to its base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.trust_env = False  # a developer's proxy must not stand between the test and it

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)


def unauthenticated(method: str, url: str, **kwargs: Any) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url, timeout=10, **kwargs)


@pytest.fixture
def operator():
    with SandboxOperator(SandboxConfig(time_scale=0.01)) as sandbox:
        yield sandbox


@pytest.fixture
def api(operator) -> Iterator[Api]:
    """The sandbox's CAMARA API with a valid access token and an x-correlator, as the feature
    files' backgrounds set them."""
    token = unauthenticated(
        "POST",
        operator.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
    ).json()["access_token"]
    with Api(operator.camara_base_url) as client:
        client.headers.update(
            {"Authorization": f"Bearer {token}", "x-correlator": str(uuid.uuid4())}
        )
        yield client


def create(api: Api, callee: str = "+8613800000001", **body) -> requests.Response:
    return api.post(
        "/calls", json={"caller": {"number": CALLER}, "callee": {"number": callee}, **body}
    )


def assert_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    complies(response.json(), ERROR_INFO)
    assert response.json()["status"] == status


def test_the_version_is_the_one_the_contract_names():
    assert CAMARA_VERSION == "0.1.0-rc.1"
    assert CAMARA_PREFIX == "/click-to-dial/v0.1rc1"


# createCall


def test_createcall_success(api):
    response = create(api)
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    complies(response.json(), CALL)
    assert response.json()["caller"] == {"number": CALLER}
    assert response.json()["callee"] == {"number": "+8613800000001"}
    assert response.headers["x-correlator"] == api.headers["x-correlator"]


def test_createcall_event_notification(api, operator):
    """Events reach the sink with the credential's bearer token, as status-changed CloudEvents
    that follow the contract's status rules."""
    with Sink() as sink:
        response = create(
            api,
            sink=sink.url,
            sinkCredential={
                "credentialType": "ACCESSTOKEN",
                "accessToken": "sink-token",
                "accessTokenExpiresUtc": "2030-01-01T00:00:00Z",
                "accessTokenType": "bearer",
            },
            recordingEnabled=True,
        )
        call_id = response.json()["callId"]
        assert operator.wait_for_call_end(call_id, timeout=10)

    events = [json.loads(received.body) for received in sink.events]
    assert [e["data"]["status"]["state"] for e in events] == [
        "initiating",
        "callingCaller",
        "callingCallee",
        "connected",
        "disconnected",
    ]
    assert len({e["id"] for e in events}) == len(events)  # unique per event
    for received, event in zip(sink.events, events, strict=True):
        assert received.path == "/events"
        assert received.headers["Authorization"] == "Bearer sink-token"
        assert received.headers["Content-Type"] == "application/cloudevents+json"
        complies(event, STATUS_CHANGED_EVENT)
        data = event["data"]
        assert (data["callId"], data["caller"], data["callee"]) == (
            call_id,
            CALLER,
            "+8613800000001",
        )
        disconnected = data["status"]["state"] == "disconnected"
        assert ("reason" in data["status"]) == disconnected  # present iff disconnected
        assert ("callDuration" in data) == disconnected
    assert events[-1]["data"]["recordingResult"] == "success"


def test_createcall_failure_missing_fields(api):
    response = api.post("/calls", json={"callee": {"number": "+8613800000001"}})
    assert_error(response, 400)


def test_createcall_failure_authentication(operator):
    response = unauthenticated(
        "POST",
        operator.camara_base_url + "/calls",
        json={"caller": {"number": CALLER}, "callee": {"number": "+8613800000001"}},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert_error(response, 401)


def test_createcall_failure_invalid_caller(api):
    response = api.post(
        "/calls", json={"caller": {"number": "8613912345673"}, "callee": {"number": CALLER}}
    )
    assert_error(response, 422)
    assert response.json()["code"] == "INVALID_PHONE_NUMBER"


# getCall


def test_getcall_success(api):
    call_id = create(api).json()["callId"]
    response = api.get(f"/calls/{call_id}")
    assert response.status_code == 200
    complies(response.json(), CALL)
    assert response.json()["callId"] == call_id


def test_getcall_failures(api, operator):
    assert_error(api.get("/calls/no-such-call"), 404)
    assert_error(unauthenticated("GET", operator.camara_base_url + "/calls/x"), 401)


# terminateCall


def test_terminatecall_success(api):
    call_id = create(api, "+8613800000006").json()["callId"]
    response = api.delete(f"/calls/{call_id}")
    assert response.status_code == 204
    assert response.content == b""


def test_terminatecall_failure_missing_callid(api):
    assert_error(api.delete("/calls/"), 400)


def test_terminatecall_failure_authentication(operator):
    assert_error(unauthenticated("DELETE", operator.camara_base_url + "/calls/x"), 401)


def test_terminatecall_failure_invalid_callidentifier(api):
    assert_error(api.delete("/calls/no-such-call"), 404)


def test_terminatecall_failure_conflict(api):
    call_id = create(api, "+8613800000006").json()["callId"]
    api.delete(f"/calls/{call_id}")
    assert_error(api.delete(f"/calls/{call_id}"), 409)


# getRecording


def test_getrecording_success(api, operator):
    call_id = create(api).json()["callId"]
    assert operator.wait_for_call_end(call_id, timeout=10)
    response = api.get(f"/calls/{call_id}/recording")
    assert response.status_code == 200
    complies(response.json(), RECORDING)
    assert response.json()["callId"] == call_id


def test_getrecording_failures(api, operator):
    assert_error(api.get("/calls//recording"), 400)
    assert_error(unauthenticated("GET", operator.camara_base_url + "/calls/x/recording"), 401)
    assert_error(api.get("/calls/no-such-call/recording"), 404)
    busy = create(api, "+8613800000002").json()["callId"]  # never connects: no recording
    assert operator.wait_for_call_end(busy, timeout=10)
    assert_error(api.get(f"/calls/{busy}/recording"), 404)


# The portal's side: what its adapter sends


def test_the_adapter_sends_what_the_contract_takes(operator):
    credential = SinkCredential("t", datetime(2030, 1, 1, tzinfo=UTC))
    adapter = CamaraOperator(
        OperatorConfig(
            base_url=operator.camara_base_url,
            token_url=operator.token_url,
            client_id="sandbox-client",
            client_secret="sandbox-secret",
        ),
        token_store=TokenStore(LocMemCache("contract", {})),
        sink_url="https://portal.example/clicktodial/camara/events",
        sink_credential=lambda reference: credential,
    )
    call_id = adapter.begin(
        sponsor="+861052680000", caller=CALLER, callee="+8613800000006", reference="7"
    )
    adapter.call_state(callidentifier=call_id)
    adapter.release(callidentifier=call_id)

    (create_request,) = [r for r in operator.requests if r.path.endswith("/calls")]
    complies(create_request.body, CREATE_CALL_REQUEST)
    camara_requests = [r for r in operator.requests if r.path.startswith(CAMARA_PREFIX)]
    assert [r.method for r in camara_requests] == ["POST", "GET", "DELETE"]
    for request in camara_requests:
        assert request.headers["Authorization"].startswith("Bearer ")
        assert jsonschema.Draft7Validator({"pattern": X_CORRELATOR}).is_valid(
            request.headers["x-correlator"]
        )
