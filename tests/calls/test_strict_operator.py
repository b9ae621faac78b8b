"""Calls against the least forgiving operator (the sandbox in strict mode: the seed's three begin
fields and a registered sponsor only, notifications without credentials), with the portal taking
them from its allow-list alone (OPERATOR_NOTIFY_AUTH=none), and the shapes a real operator writes:
each call ends as it should, and no phone is rung twice."""

import pytest
from django.urls import reverse

from calls.models import Call, CallEvent
from recordings.models import Recording
from tests.calls.helpers import requests_to, start, wait_for
from tests.recordings.conftest import settled_recording

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


@pytest.fixture
def strict(make_sandbox, settings):
    settings.OPERATOR_NOTIFY_AUTH = "none"
    settings.OPERATOR_NOTIFY_ALLOWED_IPS = ["127.0.0.1", "::1"]
    settings.RECORDING_DOWNLOAD_RETRY_DELAY = 0.05
    return make_sandbox(strict=True, notify_username=None, notify_password=None)


def test_a_call_ends_with_its_recording(api, member, strict):
    call = wait_for(start(api, "+8613800000001")["id"], lambda c: c.status == "ended")

    recording = settled_recording(call.pk)
    assert (call.reason, call.duration_seconds, call.billed_minutes) == ("HangUp", 20, 1)
    assert recording.status == Recording.Status.READY
    (begin,) = requests_to(strict, "/clicktodialbegin")
    assert set(begin.body) == {"sponsor", "caller", "callee"}
    assert begin.body["sponsor"] == "01052680000"
    # The notifications came with no credentials at all, and every one was taken and applied.
    assert strict.config.notify_credentials is None
    assert {n.status_code for n in strict.notifications} == {200}
    assert set(call.events.values_list("outcome", flat=True)) == {CallEvent.Outcome.APPLIED}


def test_a_begin_answered_engine_timeout_is_never_sent_again(api, member, strict):
    """503 with 1000001: the call may be ringing, so it is unknown, never begun again; its
    notifications still tell how it went (and clear the unknown)."""
    call_id = start(api, "+8613800000017")["id"]

    call = wait_for(call_id, lambda c: c.status == "ended")

    assert len(requests_to(strict, "/clicktodialbegin")) == 1
    assert call.begin_attempts == 1
    assert call.callidentifier  # learnt from its notifications, matched by its numbers
    assert (call.reason, call.billed_minutes) == ("HangUp", 1)


@pytest.mark.parametrize(
    ("callee", "code", "words"),
    [
        ("+8613800000016", "0001001", "not registered"),  # the code in "status"
        ("+8613800000018", "0001002", "limiting calls"),  # a Chinese description
    ],
)
def test_a_refusal_shows_the_operators_real_code(api, member, strict, callee, code, words):
    call_id = start(api, callee)["id"]

    call = wait_for(call_id, lambda c: c.is_final)

    assert (call.status, call.error_code) == (Call.Status.FAILED, code)
    assert words in call.error_message
    detail = api.get(reverse("api-call-detail", args=[call_id])).json()
    assert detail["error_code"] == code
    assert len(requests_to(strict, "/clicktodialbegin")) == 1


@pytest.mark.parametrize(
    ("callee", "reason"),
    [
        ("+8613800000019", "HangUp"),  # callDuration "20", times without milliseconds
        ("+8613800000020", "HangUp"),  # callDuration 20.0, times at +08:00
        ("+8613800000025", "HangUp"),  # callDuration "20.0"
        ("+8613800000021", "NetworkCongestion"),  # a reason outside the seed's list
    ],
)
def test_notifications_in_the_operators_own_forms_end_and_bill_the_call(
    api, member, strict, callee, reason
):
    call = wait_for(start(api, callee)["id"], lambda c: c.status == "ended")

    assert (call.reason, call.duration_seconds, call.billed_minutes) == (reason, 20, 1)
    # (The sandbox runs 50 times faster: without milliseconds both may fall in one second.)
    assert call.connected_at is not None and call.ended_at >= call.connected_at


def test_a_recording_sent_as_the_result_itself_is_stored(api, member, strict):
    call = wait_for(start(api, "+8613800000023")["id"], lambda c: c.status == "ended")

    assert settled_recording(call.pk).status == Recording.Status.READY


def test_an_identifier_handed_out_again_names_the_new_call(api, member, strict):
    first = wait_for(start(api, "+8613800000001")["id"], lambda c: c.status == "ended")

    second = wait_for(start(api, "+8613800000024")["id"], lambda c: c.status == "ended")

    first.refresh_from_db()
    assert second.callidentifier == first.callidentifier
    assert (first.status, first.billed_minutes) == ("ended", 1)
    assert (second.reason, second.billed_minutes) == ("HangUp", 1)
    assert not second.events.exclude(outcome=CallEvent.Outcome.APPLIED).exists()
