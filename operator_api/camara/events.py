"""Reading CAMARA's status-changed events (CloudEvents, structured mode) into the neutral event."""

from __future__ import annotations

import json
from dataclasses import replace

from operator_api.base import (
    InvalidNotification,
    NotificationStatus,
    OperatorEvent,
    RecordingResult,
    json_object,
)
from operator_api.v1.notifications import parse_status_notification

# The one type of event CAMARA Click to Dial 0.1 sends (CloudEvents 1.0, structured mode).
EVENT_TYPE = "org.camaraproject.click-to-dial.v0.status-changed"


_EVENT_ID_MAX = 200


def parse_camara_event(payload: object, *, default_region: str = "CN") -> OperatorEvent:
    """Read one CloudEvent (the decoded JSON object) or raise InvalidNotification naming what is
    wrong. Its ``data`` is v1's notification in other words (``status`` an object of ``state``
    and ``reason``, camelCase values, ``callDuration`` a string): it is read by the same parser,
    so both APIs' notifications mean the same to the portal."""
    if not isinstance(payload, dict):
        raise InvalidNotification(field=None, problem="the event must be a JSON object")
    for name in ("id", "source", "type", "specversion", "data"):
        if payload.get(name) in (None, ""):
            raise InvalidNotification(field=name, problem="is missing")
    if payload["specversion"] != "1.0":
        raise InvalidNotification(field="specversion", problem="must be 1.0")
    if payload["type"] != EVENT_TYPE:
        raise InvalidNotification(field="type", problem=f"must be {EVENT_TYPE}")
    event_id, source = str(payload["id"]), str(payload["source"])
    if len(event_id) > _EVENT_ID_MAX:
        raise InvalidNotification(field="id", problem=f"is over {_EVENT_ID_MAX} characters")
    data = payload["data"]
    if not isinstance(data, dict):
        raise InvalidNotification(field="data", problem="must be an object")
    call_id = data.get("callId")
    if not isinstance(call_id, str) or not call_id.strip():
        raise InvalidNotification(field="data.callId", problem="is missing")
    status = data.get("status")
    if not isinstance(status, dict):
        raise InvalidNotification(field="data.status", problem="must be an object with a state")
    fields = {
        "caller": data.get("caller"),
        "callee": data.get("callee"),
        "status": status.get("state"),
        "reason": status.get("reason"),
        "recordingResult": data.get("recordingResult"),
        "callDuration": data.get("callDuration"),
        "timeStamp": data.get("timestamp") or payload.get("time"),
    }
    notification = parse_status_notification(
        {name: value for name, value in fields.items() if value is not None},
        default_region=default_region,
        statuses=NotificationStatus,
    )
    if notification.recording_result is RecordingResult.SUCCESS:
        # One recording a call, fetched by the call's id: that is its name here.
        notification = replace(notification, recording_id=call_id.strip())
    return OperatorEvent(
        callidentifier=call_id.strip(), notification=notification, source=source, event_id=event_id
    )


def parse_event(body: bytes, *, default_region: str = "CN") -> OperatorEvent:
    """An event's raw body, read once: the neutral event, or ValueError / InvalidNotification
    saying what could not be understood."""
    return parse_camara_event(json_object(body), default_region=default_region)


def event_call_id(body: bytes) -> str:
    """An event's ``data.callId`` as sent, for the record of an event that may not parse."""
    try:
        call_id = json.loads(body.decode("utf-8-sig"))["data"]["callId"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return ""
    return call_id if isinstance(call_id, str) else ""
