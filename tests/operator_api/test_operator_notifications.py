"""Status notifications: strict about what they mean, tolerant about how they are written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from operator_api import (
    DisconnectReason,
    InvalidNotification,
    NotificationStatus,
    RecordingResult,
    StatusNotification,
    parse_status_notification,
)


def payload(**overrides: Any) -> dict[str, Any]:
    """A Disconnected notification as the seed describes it; None removes a field."""
    body: dict[str, Any] = {
        "caller": "8613912345673",
        "callee": "8613810268653",
        "status": "Disconnected",
        "reason": "HangUp",
        "callDuration": 125,
        "recordingResult": "Success",
        "recordingId": "20230101120001",
        "timeStamp": "2026-11-26T21:11:54.123Z",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def test_it_parses_a_final_notification() -> None:
    notification = parse_status_notification(payload(APPID="app-42"))

    assert notification == StatusNotification(
        caller="+8613912345673",
        callee="+8613810268653",
        status=NotificationStatus.DISCONNECTED,
        reason=DisconnectReason.HANG_UP,
        call_duration=125,
        recording_result=RecordingResult.SUCCESS,
        recording_id="20230101120001",
        timestamp=datetime(2026, 11, 26, 21, 11, 54, 123000, tzinfo=UTC),
        extra={"APPID": "app-42"},
    )


def test_it_parses_a_ringing_notification_without_final_fields() -> None:
    notification = parse_status_notification(
        {
            "caller": "+8613912345673",
            "callee": "13810268653",
            "status": "CallingCaller",
            "timeStamp": "2026-11-26T21:11:54Z",
        }
    )

    assert notification.status is NotificationStatus.CALLING_CALLER
    assert notification.callee == "+8613810268653"
    assert (notification.reason, notification.call_duration) == (None, None)
    assert (notification.recording_result, notification.recording_id) == (None, None)
    assert notification.extra == {}


@pytest.mark.parametrize("reason", ["HangUp", "", None])
def test_a_reason_is_ignored_unless_disconnected(reason: str | None) -> None:
    notification = parse_status_notification(
        payload(status="Connected", reason=reason, callDuration=None)
    )
    assert notification.status is NotificationStatus.CONNECTED
    assert notification.reason is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("connected", NotificationStatus.CONNECTED),
        ("CONNECTED", NotificationStatus.CONNECTED),
        (" callingCallee ", NotificationStatus.CALLING_CALLEE),
    ],
)
def test_status_is_matched_without_regard_to_case(raw: str, expected: NotificationStatus) -> None:
    assert parse_status_notification(payload(status=raw)).status is expected


def test_reason_and_recording_result_are_matched_without_regard_to_case() -> None:
    notification = parse_status_notification(
        payload(reason="calleebusy", recordingResult="norecord")
    )
    assert notification.reason == "CalleeBusy"
    assert notification.disconnect_reason is DisconnectReason.CALLEE_BUSY
    assert notification.recording_result is RecordingResult.NO_RECORD


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (125, 125),
        ("125", 125),
        ("125.0", 125),
        (125.0, 125),
        (30.0, 30),
        ("30.0", 30),
        (0, 0),
        (" 7 ", 7),
        ("", None),
        # Part of a second is a second begun.
        ("12.5", 13),
        (0.2, 1),
    ],
)
def test_call_duration_accepts_integers_and_numeric_strings(raw: Any, expected: int) -> None:
    assert parse_status_notification(payload(callDuration=raw)).call_duration == expected


def test_a_disconnected_without_duration_keeps_none() -> None:
    assert parse_status_notification(payload(callDuration=None)).call_duration is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (-1, "negative"),
        ("abc", "not a number"),
        (True, "not a number"),
        ([125], "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
    ],
)
def test_call_duration_rejects_what_is_not_seconds(raw: Any, problem: str) -> None:
    with pytest.raises(InvalidNotification, match=f"callDuration: .*{problem}") as excinfo:
        parse_status_notification(payload(callDuration=raw))
    assert excinfo.value.field == "callDuration"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-26T21:11:54Z", datetime(2026, 11, 26, 21, 11, 54, tzinfo=UTC)),
        ("2026-11-26T21:11:54.123Z", datetime(2026, 11, 26, 21, 11, 54, 123000, tzinfo=UTC)),
        ("2026-11-26T21:11:54.123+08:00", datetime(2026, 11, 26, 13, 11, 54, 123000, tzinfo=UTC)),
        ("2026-11-26T21:11:54+0800", datetime(2026, 11, 26, 13, 11, 54, tzinfo=UTC)),
        ("2026-11-26T21:11:54", datetime(2026, 11, 26, 21, 11, 54, tzinfo=UTC)),  # naive: UTC
        ("2026-11-26 21:11:54.1234567Z", datetime(2026, 11, 26, 21, 11, 54, 123456, tzinfo=UTC)),
    ],
)
def test_timestamps_with_and_without_millis_and_zones(raw: str, expected: datetime) -> None:
    timestamp = parse_status_notification(payload(timeStamp=raw)).timestamp

    assert timestamp == expected
    assert timestamp.tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "2026-11-26",
        "2026-13-26T21:11:54Z",
        1764191514,
        # Outside the calendar the portal keeps: they would break every date range holding them.
        "9999-12-31T23:59:59.000Z",
        "0001-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
    ],
)
def test_bad_timestamps_are_refused(raw: Any) -> None:
    with pytest.raises(InvalidNotification, match="timeStamp") as excinfo:
        parse_status_notification(payload(timeStamp=raw))
    assert excinfo.value.field == "timeStamp"


def test_keys_are_matched_without_regard_to_case() -> None:
    body = payload()
    body["timestamp"] = body.pop("timeStamp")
    body["callduration"] = body.pop("callDuration")
    body["RecordingId"] = body.pop("recordingId")

    notification = parse_status_notification(body)

    assert notification.timestamp == datetime(2026, 11, 26, 21, 11, 54, 123000, tzinfo=UTC)
    assert notification.call_duration == 125
    assert notification.recording_id == "20230101120001"
    assert notification.extra == {}


def test_an_exact_key_wins_over_a_differently_cased_one() -> None:
    notification = parse_status_notification(payload(STATUS="CallingCaller"))

    assert notification.status is NotificationStatus.DISCONNECTED
    assert notification.extra == {"STATUS": "CallingCaller"}


def test_unknown_fields_are_kept_in_extra() -> None:
    notification = parse_status_notification(
        payload(APPID="app-42", sessionId="s-1", nested={"a": 1})
    )
    assert notification.extra == {"APPID": "app-42", "sessionId": "s-1", "nested": {"a": 1}}


@pytest.mark.parametrize(("raw", "expected"), [(20230101120001, "20230101120001"), ("", None)])
def test_recording_id_accepts_numbers_and_treats_empty_as_absent(
    raw: Any, expected: str | None
) -> None:
    assert parse_status_notification(payload(recordingId=raw)).recording_id == expected


def test_numbers_may_be_sent_as_json_numbers() -> None:
    notification = parse_status_notification(payload(caller=8613912345673))
    assert notification.caller == "+8613912345673"


def test_a_notification_without_a_time_happened_when_it_came() -> None:
    body = payload()
    del body["timeStamp"]
    came = datetime(2026, 12, 6, 8, 0, 1, tzinfo=UTC)

    assert parse_status_notification(body, received_at=came).timestamp == came


@pytest.mark.parametrize("field", ["caller", "callee", "status"])
def test_required_fields_are_named_when_missing(field: str) -> None:
    body = payload()
    del body[field]

    with pytest.raises(InvalidNotification) as excinfo:
        parse_status_notification(body)

    assert excinfo.value.field == field
    assert str(excinfo.value) == f"{field}: is missing"


@pytest.mark.parametrize("reason", ["", None])
def test_a_disconnected_without_a_reason_ended_for_another_reason(reason: str | None) -> None:
    notification = parse_status_notification(payload(reason=reason))

    assert notification.reason == "Other"
    assert notification.disconnect_reason is DisconnectReason.OTHER


def test_a_reason_outside_the_seeds_list_is_kept_as_sent_and_means_other() -> None:
    notification = parse_status_notification(payload(reason=" NetworkCongestion "))

    assert notification.reason == "NetworkCongestion"
    assert notification.disconnect_reason is DisconnectReason.OTHER


def test_a_recording_result_we_do_not_know_fetches_nothing_and_is_kept() -> None:
    notification = parse_status_notification(payload(recordingResult="Partial"))

    assert notification.recording_result is None
    assert notification.extra == {"recordingResult": "Partial"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "Ringing", "status: 'Ringing' is not one of CallingCaller, CallingCallee"),
        ("caller", "12ab", "caller: '12ab' is not a valid phone number"),
        ("callee", "12345678", "callee: '12345678' is not a valid phone number"),
        ("caller", True, "caller: True is not a phone number"),
        ("status", 3, "status: 3 is not text"),
        ("recordingId", {"id": 1}, "recordingId: {'id': 1} is not an identifier"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(InvalidNotification) as excinfo:
        parse_status_notification(payload(**{field: value}))

    assert excinfo.value.field == field
    assert str(excinfo.value).startswith(message)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("body", [None, [], "caller=1", 42])
def test_a_payload_that_is_not_an_object_is_refused(body: object) -> None:
    with pytest.raises(InvalidNotification, match="must be a JSON object"):
        parse_status_notification(body)


def test_the_default_region_applies_to_national_numbers() -> None:
    notification = parse_status_notification(
        payload(caller="2025550123", callee="+8613810268653"), default_region="US"
    )
    assert notification.caller == "+12025550123"
