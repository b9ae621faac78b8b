"""Complete calls through the API against the sandbox operator, running as a live HTTP server."""

import time

import pytest
from django.urls import reverse

from calls.models import Call, CallEvent
from tests.calls.helpers import requests_to, start, wait_for
from tests.reliability import record

# The begin and release tasks go through the broker to a real worker; notifications come back
# from the sandbox over HTTP to the live server.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def fault_survived() -> None:
    """Counted once the test's assertions about the injected operator fault have passed."""
    record("operator faults", injected=1, survived=1)


def test_a_complete_call(api, member, sandbox):
    started = start(api, "+8613800000001")
    assert started["status"] == "queued"

    call = wait_for(started["id"], lambda c: c.status == "ended")

    assert (call.reason, call.duration_seconds, call.billed_minutes) == ("HangUp", 20, 1)
    assert call.connected_at is not None and call.ended_at > call.connected_at
    assert call.recording_result == "Success" and call.recording_id
    statuses = list(
        call.events.filter(outcome=CallEvent.Outcome.APPLIED).values_list("status", flat=True)
    )
    assert statuses == ["CallingCaller", "CallingCallee", "Connected", "Disconnected"]

    # What the operator received: one token request, then the begin with the bearer token, the
    # seed's three fields and nothing else: the sponsor exactly as the operator registered it,
    # caller and callee in the seed's digits form.
    token_requests = requests_to(sandbox, "/oauth2/token")
    assert len(token_requests) == 1
    (begin,) = requests_to(sandbox, "/clicktodialbegin")
    assert begin.body == {
        "sponsor": "01052680000",
        "caller": "8613912345673",
        "callee": "8613800000001",
    }
    assert begin.headers["Authorization"].startswith("Bearer ")

    detail = api.get(reverse("api-call-detail", args=[call.pk])).json()
    assert detail["status"] == "ended"
    assert detail["status_label"] == "Ended (hung up, 20 s)"
    assert detail["callidentifier"] == call.callidentifier
    assert detail["duration_seconds"] == 20
    assert detail["billed_minutes"] == 1


def test_a_busy_callee(api, member, sandbox):
    started = start(api, "+8613800000002")

    call = wait_for(started["id"], lambda c: c.status == "ended")

    assert (call.reason, call.duration_seconds, call.billed_minutes) == ("CalleeBusy", 0, 0)
    assert call.connected_at is None


def test_hanging_up_a_connected_call(api, member, sandbox):
    started = start(api, "+8613800000006")
    wait_for(started["id"], lambda c: c.status == "connected")

    response = api.post(reverse("api-call-hangup", args=[started["id"]]))

    assert response.status_code == 202
    call = wait_for(started["id"], lambda c: c.status == "ended")
    assert call.reason == "HangUp"
    assert call.duration_seconds is not None
    (release,) = requests_to(sandbox, "clicktodialrelease")
    assert release.path.endswith(f"/clicktodialrelease/{call.callidentifier}")
    assert release.body == {"operation": "EndCall"}

    again = api.post(reverse("api-call-hangup", args=[call.pk]))
    assert again.status_code == 409
    assert "already ended" in again.json()["detail"]


def test_a_refused_begin_fails_with_the_operators_code_and_a_plain_message(api, member, sandbox):
    started = start(api, "+8613800000008")

    call = wait_for(started["id"], lambda c: c.is_final)

    assert call.status == "failed"
    assert call.error_code == "0001008"
    assert "blacklist" in call.error_message.lower()
    assert call.callidentifier is None


@pytest.mark.reliability
def test_an_operator_error_fails_the_call(api, member, sandbox):
    call = wait_for(start(api, "+8613800000009")["id"], lambda c: c.is_final)

    assert (call.status, call.error_code) == ("failed", "0000001")
    fault_survived()


@pytest.mark.reliability
def test_a_503_with_the_operators_code_fails_the_call_and_is_never_sent_again(
    api, member, sandbox, settings
):
    """Only a request that certainly never reached the operator is retried: a 503 did reach it,
    and its code (0000001) does not say that nothing was done."""
    settings.CALL_BEGIN_MAX_RETRIES = 2

    call = wait_for(start(api, "+8613800000010")["id"], lambda c: c.is_final, timeout=30)

    assert (call.status, call.error_code, call.begin_attempts) == ("failed", "0000001", 1)
    assert len(requests_to(sandbox, "/clicktodialbegin")) == 1
    fault_survived()


@pytest.mark.reliability
def test_an_unreachable_operator_fails_the_call_with_a_plain_message(api, member, settings):
    settings.OPERATOR_API_BASE_URL = "http://127.0.0.1:9/clicktodial/v1"
    settings.OPERATOR_TOKEN_URL = "http://127.0.0.1:9/oauth2/token"
    settings.CALL_BEGIN_MAX_RETRIES = 1

    call = wait_for(start(api, "+8613800000001")["id"], lambda c: c.is_final, timeout=30)

    assert call.status == "failed"
    assert call.begin_attempts == 2
    assert call.error_message
    fault_survived()


@pytest.mark.reliability
def test_a_lost_begin_answer_makes_the_call_unknown_and_it_is_never_dialled_again(
    api, member, make_sandbox
):
    """The sandbox places the call but answers after our read timeout, and its notifications
    go nowhere: the portal cannot know what happened, and says so."""
    sandbox = make_sandbox(notify_url="http://127.0.0.1:9/{callidentifier}")

    call = wait_for(
        start(api, "+8613800000011")["id"], lambda c: c.status != "queued" and c.status != "dialing"
    )

    assert call.status == "unknown"
    assert "not known" in call.error_message
    time.sleep(2.5)  # past the sandbox's late answer: still one begin, still unknown
    assert len(requests_to(sandbox, "/clicktodialbegin")) == 1
    assert Call.objects.get(pk=call.pk).status == "unknown"
    fault_survived()


@pytest.mark.reliability
def test_notifications_tell_a_call_with_a_lost_begin_answer_its_real_outcome(api, member, sandbox):
    call = wait_for(start(api, "+8613800000011")["id"], lambda c: c.status == "ended")

    assert call.callidentifier == next(iter(sandbox.calls))
    assert (call.reason, call.duration_seconds) == ("HangUp", 20)
    time.sleep(1.5)  # the begin's answer is lost meanwhile; the call must stay as it is
    assert Call.objects.get(pk=call.pk).status == "ended"
    assert len(requests_to(sandbox, "/clicktodialbegin")) == 1
    fault_survived()


@pytest.mark.reliability
def test_an_expired_token_is_refreshed_once(api, member, sandbox):
    wait_for(start(api, "+8613800000002")["id"], lambda c: c.is_final)
    sandbox.revoke_tokens()

    call = wait_for(start(api, "+8613800000002")["id"], lambda c: c.is_final)

    assert call.status == "ended"
    assert len(requests_to(sandbox, "/oauth2/token")) == 2
    assert len(requests_to(sandbox, "/clicktodialbegin")) == 3  # one refused, retried once
    fault_survived()
