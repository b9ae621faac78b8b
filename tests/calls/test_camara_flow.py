"""Calls through the portal with OPERATOR_API=camara, against the sandbox's CAMARA API over real
HTTP: the same outcomes, debits and recordings as on v1, with CAMARA's events coming back to the
portal's sink as CloudEvents, authenticated by the credential the portal issued."""

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.lifecycle import ENDED_UNREPORTED_MESSAGE, OPERATOR_FAILED_MESSAGE
from calls.models import Call, CallEvent
from calls.services import dialing
from calls.services.dialing import call_begin
from calls.services.outcomes import NEVER_REPORTED_MESSAGE, calls_expire_silent
from members.models import MinutePool, UsageEntry
from operator_api.camara import EVENT_TYPE, camara_error, sink_credential_issue
from recordings.models import Recording
from tests.calls.helpers import FakeOperator, requests_to, start, use_camara, wait_for
from tests.helpers import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


@pytest.fixture
def camara(make_sandbox, settings, live_server):
    operator = make_sandbox()
    use_camara(operator, settings, live_server)
    return operator


def events_sent(operator, call_id: str) -> list:
    return [n for n in operator.notifications if n.callidentifier == call_id]


def test_a_complete_call(api, member, camara):
    started = start(api, "+8613800000001")

    call = wait_for(started["id"], lambda c: c.status == "ended")

    assert (call.reason, call.duration_seconds, call.billed_minutes) == ("HangUp", 20, 1)
    assert UsageEntry.objects.filter(call=call).count() == 1
    applied = call.events.filter(outcome=CallEvent.Outcome.APPLIED)
    assert list(applied.values_list("status", flat=True)) == [
        "CallingCaller",
        "CallingCallee",
        "Connected",
        "Disconnected",
    ]
    # Every event came with the credential the portal gave, and was answered 204.
    (create,) = requests_to(camara, "/calls")
    token = create.body["sinkCredential"]["accessToken"]
    assert create.body["sink"].endswith(reverse("operator-camara-events"))
    # The sandbox logs an event once its answer is back, which can be just after the portal
    # has applied the last one.
    wait_until(
        lambda: len(events_sent(camara, call.callidentifier)) == 5, timeout=5, what="5 events"
    )
    sent = events_sent(camara, call.callidentifier)
    assert [n.status_code for n in sent] == [204] * 5  # initiating and the four
    assert len({n.body["id"] for n in sent}) == 5
    assert camara.calls[call.callidentifier].sink_token == token

    recording = Recording.objects.get(call=call)
    wait_for(call.pk, lambda c: Recording.objects.get(call=c).status == "ready")
    recording.refresh_from_db()
    assert recording.operator_recording_id == call.callidentifier


def test_a_busy_callee_is_not_billed(api, member, camara):
    call = wait_for(start(api, "+8613800000002")["id"], lambda c: c.status == "ended")
    assert (call.reason, call.billed_minutes) == ("CalleeBusy", 0)


def test_hanging_up_deletes_the_call(api, member, camara):
    started = start(api, "+8613800000006")
    wait_for(started["id"], lambda c: c.status == "connected")

    assert api.post(reverse("api-call-hangup", args=[started["id"]])).status_code == 202

    call = wait_for(started["id"], lambda c: c.status == "ended")
    assert call.reason == "HangUp"
    (delete,) = [r for r in camara.requests if r.method == "DELETE"]
    assert delete.path.endswith(f"/calls/{call.callidentifier}")


def test_a_refused_call_fails_with_camaras_code_and_a_plain_message(api, member, camara):
    call = wait_for(start(api, "+8613800000008")["id"], lambda c: c.is_final)
    assert (call.status, call.error_code) == ("failed", "CALLEE_NOT_AVAILABLE")
    assert "cannot be reached" in call.error_message
    assert not call.callidentifier


# The sink, posted to directly


def cloud_event(call: Call, state: str, **data) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "source": "https://operator.example/click-to-dial",
        "specversion": "1.0",
        "type": EVENT_TYPE,
        "time": "2026-11-27T10:00:00Z",
        "data": {
            "callId": call.callidentifier,
            "caller": call.caller,
            "callee": call.callee,
            "status": {"state": state, **data.pop("status", {})},
            "timestamp": "2026-11-27T10:00:00Z",
            **data,
        },
    }


def post(client: Client, body, token: str | None, content_type="application/cloudevents+json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(reverse("operator-camara-events"), raw, content_type=content_type, **headers)


@pytest.fixture
def dialling_call(member):
    return Call.objects.create(
        member=member,
        caller=member.phone_number,
        callee="+8613700000001",
        callidentifier="call-under-test",
        status=Call.Status.DIALING,
    )


def token_for(call: Call) -> str:
    lifetime = settings.CAMARA_SINK_TOKEN_LIFETIME
    return sink_credential_issue(str(call.pk), lifetime=lifetime).access_token


@pytest.fixture
def token(dialling_call) -> str:
    return token_for(dialling_call)


def test_an_event_sent_twice_is_applied_once(client, dialling_call, token):
    ended = cloud_event(
        dialling_call, "disconnected", status={"reason": "hangUp"}, callDuration="61"
    )
    connected = cloud_event(dialling_call, "connected")
    assert post(client, connected, token).status_code == 204
    assert post(client, ended, token).status_code == 204
    again = post(client, ended, token)

    assert again.status_code == 204
    dialling_call.refresh_from_db()
    assert (dialling_call.status, dialling_call.billed_minutes) == ("ended", 2)
    assert UsageEntry.objects.filter(call=dialling_call).count() == 1
    assert MinutePool.objects.get().billed_seconds_used == 120
    last = dialling_call.events.last()
    assert (last.outcome, last.event_id) == ("duplicate", ended["id"])
    assert last.detail == "The same event came before."  # by its id, before any state rule


def test_an_event_id_is_unique_within_its_source_only(client, dialling_call, token):
    connected = cloud_event(dialling_call, "connected")
    ended = cloud_event(
        dialling_call, "disconnected", status={"reason": "hangUp"}, callDuration="5"
    )
    ended["id"], ended["source"] = connected["id"], "https://other-producer.example"

    assert post(client, connected, token).status_code == 204
    assert post(client, ended, token).status_code == 204

    dialling_call.refresh_from_db()
    assert dialling_call.status == "ended"
    assert list(dialling_call.events.values_list("outcome", flat=True)) == ["applied", "applied"]


def test_a_credential_is_good_for_its_own_call_only(client, dialling_call, member):
    other = Call.objects.create(
        member=member, caller=member.phone_number, callee="+8613700000002", status="dialing"
    )
    answer = post(client, cloud_event(dialling_call, "connected"), token_for(other))

    assert answer.status_code == 403
    assert answer.json()["code"] == "PERMISSION_DENIED"
    dialling_call.refresh_from_db()
    other.refresh_from_db()
    assert dialling_call.status == other.status == "dialing"
    assert other.callidentifier is None
    (kept,) = CallEvent.objects.all()
    assert (kept.outcome, kept.call) == ("mismatch", other)


def test_a_refused_event_changes_no_other_call(client, member):
    """A credential for call X, posted with a callId of its own choosing and call Y's numbers:
    refused, and neither call takes the identifier (the checks come before any write)."""
    x, y = (
        Call.objects.create(
            member=member, caller=member.phone_number, callee=callee, status="dialing"
        )
        for callee in ("+8613700000004", "+8613700000005")
    )
    hijack = cloud_event(y, "connected", callId="HIJACK")

    answer = post(client, hijack, token_for(x))

    assert answer.status_code == 403
    x.refresh_from_db()
    y.refresh_from_db()
    assert (x.callidentifier, x.status) == (None, "dialing")
    assert (y.callidentifier, y.status) == (None, "dialing")
    assert not Call.objects.filter(callidentifier="HIJACK").exists()
    assert CallEvent.objects.get().outcome == "mismatch"


def test_an_event_before_the_begin_answer_names_its_call(client, member):
    """The credential names the call: an event that beats the begin answer gives it its id."""
    # Two calls to the same callee, neither with its identifier yet.
    twins = [
        Call.objects.create(
            member=member, caller=member.phone_number, callee="+8613700000003", status="dialing"
        )
        for _ in range(2)
    ]
    early = cloud_event(twins[0], "callingCaller", callId="camara-early-1")

    assert post(client, early, token_for(twins[0])).status_code == 204

    for twin in twins:
        twin.refresh_from_db()
    assert (twins[0].callidentifier, twins[0].status) == ("camara-early-1", "calling_caller")
    assert (twins[1].callidentifier, twins[1].status) == (None, "dialing")
    (event,) = twins[0].events.all()
    assert (event.outcome, event.event_id) == ("applied", early["id"])


def test_a_failed_event_fails_the_call_unbilled(client, dialling_call, token):
    assert post(client, cloud_event(dialling_call, "failed"), token).status_code == 204
    dialling_call.refresh_from_db()
    assert dialling_call.status == "failed"
    assert dialling_call.error_message == OPERATOR_FAILED_MESSAGE
    assert not UsageEntry.objects.filter(call=dialling_call).exists()


@pytest.mark.parametrize("bearer", [None, "made-up", "wrong:token:sig"])
def test_events_without_the_portals_credential_are_refused(client, dialling_call, bearer):
    response = post(client, cloud_event(dialling_call, "connected"), bearer)

    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "UNAUTHENTICATED",
        "message": "Missing, invalid or expired credentials.",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
    dialling_call.refresh_from_db()
    assert dialling_call.status == "dialing"


def test_refusals_are_in_camaras_format_and_kept(client, dialling_call, token):
    # The credential is the call's; an event naming another callId is not covered by it.
    unknown = cloud_event(dialling_call, "connected", callId="no-such-call")
    answer = post(client, unknown, token)
    assert (answer.status_code, answer.json()["code"]) == (403, "PERMISSION_DENIED")

    answer = post(client, b"{not json", token)
    assert answer.status_code == 400
    assert answer.json() == {
        "status": 400,
        "code": "INVALID_ARGUMENT",
        "message": "The event could not be understood.",
    }
    kept = CallEvent.objects.order_by("id")
    assert [e.outcome for e in kept] == ["mismatch", "invalid"]
    assert kept[0].callidentifier == "no-such-call"


# Calls the portal stopped hearing about: asked after (GET /calls/{callId})


def age(call: Call, seconds: int) -> None:
    Call.objects.filter(pk=call.pk).update(
        updated_at=timezone.now() - timedelta(seconds=seconds + 1)
    )


def test_a_silent_call_the_operator_still_has_is_left_to_go_on(api, member, camara, settings):
    call = wait_for(start(api, "+8613800000006")["id"], lambda c: c.status == "connected")
    age(call, settings.CALL_MAX_DURATION)

    assert calls_expire_silent() == 0

    call.refresh_from_db()
    assert call.status == "connected"
    assert timezone.now() - call.updated_at < timedelta(seconds=30)  # looked at again later
    assert [r.method for r in camara.requests if r.path.endswith(call.callidentifier)] == ["GET"]


def test_a_silent_call_the_operator_ended_waits_for_an_admin(api, member, camara, settings):
    call = wait_for(start(api, "+8613800000006")["id"], lambda c: c.status == "connected")
    # Its end happens at the operator, but the event never arrives.
    camara.calls[call.callidentifier].sink = "http://127.0.0.1:9/lost"
    assert api.post(reverse("api-call-hangup", args=[call.pk])).status_code == 202
    assert camara.wait_for_call_end(call.callidentifier, timeout=10)
    age(call, settings.CALL_MAX_DURATION)

    assert calls_expire_silent() == 1

    call.refresh_from_db()
    assert (call.status, call.error_message) == ("unknown", ENDED_UNREPORTED_MESSAGE)
    assert not UsageEntry.objects.filter(call=call).exists()  # billed when settled, once


def test_a_silent_call_the_operator_does_not_know_becomes_unknown(member, camara, settings):
    call = Call.objects.create(
        member=member,
        caller=member.phone_number,
        callee="+8613700000001",
        callidentifier="never-heard-of",
        status=Call.Status.CALLING_CALLER,
    )
    age(call, settings.CALL_RINGING_TIMEOUT)

    assert calls_expire_silent() == 1

    call.refresh_from_db()
    assert (call.status, call.error_message) == ("unknown", NEVER_REPORTED_MESSAGE)


def test_a_long_camara_error_code_is_kept_whole(member, monkeypatch):
    """CAMARA's codes are words (RECORDING_NOT_SUPPORTED: 23 characters), not v1's 7 digits."""

    def refuse() -> str:
        raise camara_error(http_status=422, code="RECORDING_NOT_SUPPORTED", message="no")

    monkeypatch.setattr(dialing, "get_operator", lambda: FakeOperator(on_begin=refuse))
    call = Call.objects.create(
        member=member, caller=member.phone_number, callee="+8613700000004", status="queued"
    )
    call_begin(call_id=call.pk, last_attempt=True)

    call.refresh_from_db()
    assert (call.status, call.error_code) == ("failed", "RECORDING_NOT_SUPPORTED")
    assert call.error_message == "The operator refused the call: it cannot record this call."
