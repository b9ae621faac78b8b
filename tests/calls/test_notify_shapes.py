"""Notifications as operators really write them: the call ends, is billed and keeps the
operator's own words, whatever form the numbers, times and reasons come in."""

import json

import pytest
from django.urls import reverse

from calls.models import Call, CallEvent
from members.models import UsageEntry
from tests.calls.helpers import answer, body, notify


@pytest.mark.django_db
def test_a_reason_outside_the_seeds_list_ends_bills_and_is_shown_as_sent(client, call, admin_user):
    notify(client, body("Connected", timeStamp="2026-11-26T10:00:08.000Z"))

    response = notify(
        client,
        body(
            "Disconnected",
            reason="NetworkCongestion",
            callDuration="125",
            # No milliseconds, and the operator's own zone (10:02:13 UTC).
            timeStamp="2026-11-26T18:02:13+08:00",
            sessionId="s-77",
        ),
    )

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert (call.status, call.reason) == (Call.Status.ENDED, "NetworkCongestion")
    assert (call.duration_seconds, call.billed_minutes) == (125, 3)
    assert call.ended_at.isoformat() == "2026-11-26T10:02:13+00:00"
    assert UsageEntry.objects.get(call=call).billed_minutes == 3
    # Kept as it came, the field the seed does not define included.
    kept = CallEvent.objects.filter(call=call, status="Disconnected").get()
    assert json.loads(kept.body)["sessionId"] == "s-77"
    assert kept.outcome == CallEvent.Outcome.APPLIED

    client.force_login(admin_user)
    page = client.get(reverse("call-detail", args=[call.pk]))
    assert "NetworkCongestion" in page.content.decode()


@pytest.mark.parametrize("duration", [30.0, "30.0", 30])
@pytest.mark.django_db
def test_a_duration_as_a_float_or_a_numeric_string_is_billed(client, call, duration):
    notify(client, body("Connected", timeStamp="2026-11-26T10:00:00Z"))

    response = notify(
        client,
        body(
            "Disconnected", reason="HangUp", callDuration=duration, timeStamp="2026-11-26T10:00:30Z"
        ),
    )

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert (call.status, call.duration_seconds, call.billed_minutes) == (Call.Status.ENDED, 30, 1)


@pytest.mark.django_db
def test_a_disconnected_without_a_reason_still_ends_the_call(client, call):
    response = notify(client, body("Disconnected", callDuration=0))

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    assert (call.status, call.reason) == (Call.Status.ENDED, "Other")


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z"])
@pytest.mark.django_db
def test_a_time_outside_the_calendar_is_refused_kept_and_breaks_no_history(
    client, call, employee, stamp
):
    response = notify(client, body("Connected", timeStamp=stamp))

    assert answer(response) == (400, "0000002")
    call.refresh_from_db()
    assert (call.status, call.connected_at) == (Call.Status.DIALING, None)
    event = CallEvent.objects.get()
    assert (event.outcome, event.operator_timestamp) == (CallEvent.Outcome.INVALID, None)
    client.force_login(employee)
    assert client.get(reverse("call-list")).status_code == 200
