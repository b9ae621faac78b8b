"""What the sandbox says about a call, in each API's words: the seed's v1 status notification (in
the call's scenario's shape), CAMARA's status-changed CloudEvent, and CAMARA's call resource."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.calls import SandboxCall, utcnow
from sandbox.scenarios import DISCONNECTED
from sandbox.shapes import SEED_NOTIFICATION, seed_timestamp

CAMARA_EVENT_TYPE = "org.camaraproject.click-to-dial.v0.status-changed"

CAMARA_STATES = {
    "Initiated": "initiating",
    "CallingCaller": "callingCaller",
    "CallingCallee": "callingCallee",
    "Connected": "connected",
    "Disconnected": "disconnected",
}


def v1_notification(call: SandboxCall) -> dict[str, Any]:
    """The v1 notification for the call's state now, in its scenario's shape (the caller holds
    the operator's lock). CAMARA's events are made from the seed's shape."""
    shape = call.scenario.notification if call.api == "v1" else SEED_NOTIFICATION
    body: dict[str, Any] = {"caller": call.caller, "callee": call.callee, "status": call.state}
    if call.state == DISCONNECTED:
        body["reason"] = call.reason
        body["callDuration"] = shape.write_duration(call.call_duration or 0)
        if call.recording_result is not None:
            body["recordingResult"] = call.recording_result
        if call.recording_id is not None:
            body["recordingId"] = call.recording_id
    body["timeStamp"] = shape.write_timestamp(utcnow())
    body.update(shape.extra)
    return body


def camara_event(call: SandboxCall, body: dict[str, Any], *, source: str) -> dict[str, Any]:
    """v1's notification body as CAMARA's status-changed CloudEvent, from ``source``."""
    status: dict[str, str] = {"state": CAMARA_STATES[body["status"]]}
    data: dict[str, Any] = {
        "callId": call.callidentifier,
        "caller": call.caller,
        "callee": call.callee,
        "status": status,
    }
    if body["status"] == DISCONNECTED:
        status["reason"] = _lower_first(body["reason"])
        data["callDuration"] = str(body["callDuration"])
        if "recordingResult" in body:
            data["recordingResult"] = _lower_first(body["recordingResult"])
    data["timestamp"] = body["timeStamp"]
    return {
        "id": str(uuid.uuid4()),
        "source": source,
        "type": CAMARA_EVENT_TYPE,
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": body["timeStamp"],
        "data": data,
    }


def camara_resource(call: SandboxCall) -> dict[str, Any]:
    """The call as CAMARA's ``CallResource``."""
    return {
        "callId": call.callidentifier,
        "caller": {"number": call.caller},
        "callee": {"number": call.callee},
        "status": CAMARA_STATES[call.state],
        "createdAt": seed_timestamp(call.created_at),
        "recordingEnabled": call.record,
    }


def _lower_first(word: str) -> str:
    """v1's HangUp, Success as CAMARA writes them: hangUp, success."""
    return word[:1].lower() + word[1:]
