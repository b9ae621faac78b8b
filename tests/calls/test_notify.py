"""The operator's status notifications: authentication, the seed's answers, the state machine."""

import json

import pytest

from calls.models import Call, CallEvent
from tests.calls.helpers import (
    CALLEE,
    CALLER,
    DISCONNECTED,
    answer,
    basic,
    body,
    notify,
)
from tests.conftest import NOTIFY_PASSWORD


@pytest.mark.django_db
def test_a_complete_call_moves_through_every_status(client, call):
    for status, stamp in [
        ("CallingCaller", "2026-11-26T10:00:00.000Z"),
        ("CallingCallee", "2026-11-26T10:00:03.000Z"),
        ("Connected", "2026-11-26T10:00:08.000Z"),
    ]:
        assert answer(notify(client, body(status, timeStamp=stamp))) == (200, "0000000")
        call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED
    assert call.connected_at.isoformat() == "2026-11-26T10:00:08+00:00"

    response = notify(client, DISCONNECTED)

    assert response.json() == {"code": "0000000", "description": "Success"}
    call.refresh_from_db()
    assert call.status == Call.Status.ENDED
    assert call.reason == "HangUp"
    assert call.duration_seconds == 125
    assert call.billed_minutes == 3
    assert call.recording_result == "Success"
    assert call.recording_id == "20261126100205"
    assert call.ended_at.isoformat() == "2026-11-26T10:02:13+00:00"
    outcomes = list(call.events.values_list("outcome", flat=True))
    assert outcomes == [CallEvent.Outcome.APPLIED] * 4


@pytest.mark.django_db
def test_a_duplicate_changes_nothing(client, call):
    notify(client, body("Connected", timeStamp="2026-11-26T10:00:08Z"))
    call.refresh_from_db()
    before = call.updated_at

    response = notify(client, body("Connected", timeStamp="2026-11-26T10:00:09Z"))

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert call.updated_at == before
    assert call.connected_at.isoformat() == "2026-11-26T10:00:08+00:00"
    assert call.events.last().outcome == CallEvent.Outcome.DUPLICATE


@pytest.mark.django_db
def test_an_ended_call_never_changes_again(client, call):
    notify(client, DISCONNECTED)
    call.refresh_from_db()
    snapshot = Call.objects.filter(pk=call.pk).values().get()

    late = [
        body("Connected"),
        body("CallingCaller"),
        {**DISCONNECTED, "reason": "CalleeBusy", "callDuration": 0},
    ]
    for notification in late:
        assert answer(notify(client, notification)) == (200, "0000000")

    assert Call.objects.filter(pk=call.pk).values().get() == snapshot
    assert list(call.events.values_list("outcome", flat=True)) == [
        CallEvent.Outcome.APPLIED,
        CallEvent.Outcome.STALE,
        CallEvent.Outcome.STALE,
        CallEvent.Outcome.DUPLICATE,
    ]


@pytest.mark.django_db
def test_an_older_status_arriving_late_is_ignored(client, call):
    notify(client, body("Connected"))
    notify(client, body("CallingCaller"))

    call.refresh_from_db()
    assert call.status == Call.Status.CONNECTED
    assert call.events.last().outcome == CallEvent.Outcome.STALE


@pytest.mark.django_db
def test_disconnected_before_connected_still_ends_the_call_with_its_start(client, call):
    notify(client, DISCONNECTED)

    call.refresh_from_db()
    assert call.status == Call.Status.ENDED
    assert call.connected_at.isoformat() == "2026-11-26T10:00:08+00:00"


@pytest.mark.django_db
def test_a_recording_reported_without_its_id_still_ends_and_bills_the_call(client, call):
    # Once answered 503 for ever (the recording's row broke a constraint), so the call never
    # ended and was never billed: the operator's success with nothing to fetch is its failure
    # to record, the word it sent kept.
    ending = body("Disconnected", reason="HangUp", callDuration=61, recordingResult="Success")

    assert answer(notify(client, ending)) == (200, "0000000")

    call.refresh_from_db()
    assert (call.status, call.usage.billed_seconds) == (Call.Status.ENDED, 120)
    recording = call.recording
    assert (recording.status, recording.operator_result) == ("recording_failed", "Success")


@pytest.mark.django_db
def test_a_failed_call_never_changes(client, call):
    Call.objects.filter(pk=call.pk).update(status=Call.Status.FAILED)

    assert answer(notify(client, body("Connected"))) == (200, "0000000")

    call.refresh_from_db()
    assert call.status == Call.Status.FAILED
    assert call.connected_at is None


@pytest.mark.django_db
def test_the_form_is_tolerated(client, call):
    """callDuration as a string, no milliseconds, unknown extra fields (the OpenAPI file's form)."""
    response = notify(
        client,
        {
            **DISCONNECTED,
            "callDuration": "61",
            "timeStamp": "2026-11-26T10:02:13Z",
            "APPID": "app-1",
        },
    )

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert (call.duration_seconds, call.billed_minutes) == (61, 2)


@pytest.mark.parametrize(
    "auth",
    [
        "",
        basic(password="wrong"),
        basic(username="intruder"),
        "Bearer " + NOTIFY_PASSWORD,
        "Basic not-base64!",
    ],
)
@pytest.mark.django_db
def test_bad_credentials_are_refused_and_change_nothing(client, call, auth):
    response = notify(client, body("Connected"), auth=auth)

    assert response.status_code == 401
    assert response.json() == {"code": "0001004", "description": "Authentication Failure"}
    assert response["WWW-Authenticate"].startswith("Basic")
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
    assert not CallEvent.objects.exists()


@pytest.mark.django_db
def test_without_a_configured_password_everything_is_refused(client, call, settings):
    settings.OPERATOR_NOTIFY_PASSWORD = ""

    response = notify(client, body("Connected"), auth=basic(password=""))

    assert answer(response) == (401, "0001004")


@pytest.mark.django_db
def test_the_ip_allow_list_is_enforced(client, call, settings):
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["10.0.0.0/8"]
    assert answer(notify(client, body("Connected"))) == (403, "0001004")

    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]
    assert answer(notify(client, body("Connected"))) == (200, "0000000")


@pytest.mark.django_db
def test_an_unknown_identifier_is_answered_1001002_and_kept(client, call):
    response = notify(client, body("Connected"), identifier="NOSUCHCALL")

    assert response.json() == {"code": "1001002", "description": "Call ID Error"}
    assert response.status_code == 400
    event = CallEvent.objects.get()
    assert (event.callidentifier, event.outcome, event.call) == (
        "NOSUCHCALL",
        CallEvent.Outcome.UNKNOWN_CALL,
        None,
    )
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"\xff\xfe",
        json.dumps(["a", "list"]),
        json.dumps({**body("Connected"), "status": "Teleported"}),
        json.dumps({k: v for k, v in body("Connected").items() if k != "status"}),
        json.dumps({**body("Connected"), "timeStamp": "yesterday"}),
        json.dumps({**body("Connected"), "timeStamp": "9999-12-31T23:59:59.999Z"}),
        json.dumps({**body("Connected"), "timeStamp": "0001-01-01T00:00:00Z"}),
        json.dumps({**DISCONNECTED, "callDuration": -3}),
        json.dumps({**body("Connected"), "caller": "not-a-number"}),
    ],
)
@pytest.mark.django_db
def test_a_malformed_body_is_answered_0000002_kept_and_changes_nothing(client, call, raw):
    response = notify(client, raw)

    assert response.json() == {"code": "0000002", "description": "Invalid Input Value"}
    assert response.status_code == 400
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
    event = CallEvent.objects.get()
    assert event.outcome == CallEvent.Outcome.INVALID
    assert event.body == (raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))


@pytest.mark.django_db
def test_a_body_for_other_numbers_does_not_touch_the_call(client, call):
    response = notify(client, {**body("Connected"), "callee": "8613800000002"})

    assert answer(response) == (400, "0000002")
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
    assert CallEvent.objects.get().outcome == CallEvent.Outcome.MISMATCH


@pytest.mark.django_db
def test_a_call_whose_begin_answer_was_lost_learns_its_outcome(client, member):
    lost = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.UNKNOWN,
    )

    assert answer(notify(client, body("Connected"), identifier="LATE01")) == (200, "0000000")
    assert answer(notify(client, DISCONNECTED, identifier="LATE01")) == (200, "0000000")

    lost.refresh_from_db()
    assert (lost.callidentifier, lost.status, lost.duration_seconds) == ("LATE01", "ended", 125)
