"""Hanging up in every state a call can be in, including the awkward ones."""

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallEvent
from calls.services import dialing, placing
from operator_api import CallIdError, InternalServiceError, OperationError, OperatorUnreachable
from tests.calls.helpers import (
    DISCONNECTED,
    FakeOperator,
    body,
    notify,
    requests_to,
    start,
    wait_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(monkeypatch):
    fake = FakeOperator()
    monkeypatch.setattr(dialing, "get_operator", lambda: fake)
    return fake


def queued_call(member) -> Call:
    return Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller="+8613912345673",
        callee="+8613810268653",
    )


def test_a_hang_up_while_the_begin_fails_to_reach_the_operator_cancels_the_call(member, operator):
    call = queued_call(member)

    def begin_while_the_user_hangs_up() -> str:
        dialing.call_hang_up(call=Call.objects.get(pk=call.pk))
        raise OperatorUnreachable()

    operator.on_begin = begin_while_the_user_hangs_up

    outcome = dialing.call_begin(call_id=call.pk, last_attempt=False)

    call.refresh_from_db()
    assert outcome is dialing.TaskOutcome.DONE  # no retry: it will never be dialled
    assert (call.status, call.reason, call.billed_minutes) == ("ended", "Cancelled", 0)


def test_a_hang_up_before_a_notification_reveals_the_identifier_releases_the_call(
    client, member, operator, django_capture_on_commit_callbacks
):
    """The begin answer is lost; the operator's first notification tells us the identifier."""
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.DIALING)
    dialing.call_hang_up(call=Call.objects.get(pk=call.pk))
    assert operator.released == []

    with django_capture_on_commit_callbacks(execute=True):
        notify(client, body("CallingCaller"), identifier="LOST01")

    assert operator.released == ["LOST01"]


def test_an_unknown_call_without_identifier_cannot_be_hung_up_and_says_why(api, member):
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.UNKNOWN)

    response = api.post(reverse("api-call-hangup", args=[call.pk]))

    assert response.status_code == 409
    assert "never told us this call's identifier" in response.json()["detail"]


def test_an_unknown_call_with_an_identifier_is_released(
    api, member, operator, django_capture_on_commit_callbacks
):
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.UNKNOWN, callidentifier="SILENT1")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-call-hangup", args=[call.pk]))

    assert response.status_code == 202
    assert operator.released == ["SILENT1"]


def test_a_release_the_operator_does_not_confirm_is_shown_on_the_call(member, operator):
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.CONNECTED, callidentifier="LIVE01")
    operator.release_error = InternalServiceError()

    dialing.call_release(call_id=call.pk)

    call.refresh_from_db()
    assert call.status == "connected"
    assert "did not confirm the hang-up" in call.error_message


@pytest.mark.parametrize("error", [CallIdError(), OperationError()], ids=["1001002", "1001003"])
def test_a_live_call_the_operator_no_longer_knows_becomes_unknown_and_frees_its_member(
    member, operator, mailoutbox, admin_user, error
):
    """The operator refusing the release as "no such call" means the call has ended there; its
    end never reached us, so it is unknown (admins told) and the member may call again."""
    admin_user.email = "boss@example.com"
    admin_user.save()
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.CONNECTED, callidentifier="GONE01")
    operator.release_error = error

    dialing.call_release(call_id=call.pk)

    call.refresh_from_db()
    assert (call.status, call.error_code) == (Call.Status.UNKNOWN, error.code)
    assert "never reported" in call.error_message
    assert any(f"/calls/{call.pk}/" in mail.body for mail in mailoutbox)
    # The member is no longer held back by a call that is over.
    again = placing.call_start(user=member.user, callee="+8613800000001")
    assert again.status == Call.Status.QUEUED


def test_a_call_whose_end_was_reported_meanwhile_stays_ended(member, operator):
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.ENDED, callidentifier="DONE01", ended_at=timezone.now()
    )
    operator.release_error = CallIdError()

    dialing.call_release(call_id=call.pk)

    call.refresh_from_db()
    assert call.status == Call.Status.ENDED


def test_an_unknown_call_never_moves_back_before_what_it_had_reached(client, member):
    call = queued_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.DIALING, callidentifier="A010B020")
    notify(client, body("Connected"))
    Call.objects.filter(pk=call.pk).update(status=Call.Status.UNKNOWN)  # what the sweeper does

    notify(client, body("CallingCaller"))

    call.refresh_from_db()
    assert call.status == "unknown"
    assert call.events.last().outcome == CallEvent.Outcome.STALE

    notify(client, DISCONNECTED)
    call.refresh_from_db()
    assert (call.status, call.duration_seconds) == ("ended", 125)


def test_an_anonymous_api_request_is_told_to_authenticate(client):
    response = client.get(reverse("api-call-list"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_hanging_up_before_the_lost_begin_answer_ends_the_real_call(api, member, make_sandbox):
    """The sandbox places the call but answers after our read timeout; the user hangs up at once.

    The first notification reveals the identifier, and the pending hang-up is sent then."""
    sandbox = make_sandbox(time_scale=0.3)
    started = start(api, "+8613800000011")
    wait_for(started["id"], lambda c: c.status != "queued")  # the worker sent the begin

    assert api.post(reverse("api-call-hangup", args=[started["id"]])).status_code == 202

    call = wait_for(started["id"], lambda c: c.is_final, timeout=15)
    assert (call.status, call.reason) == ("ended", "HangUp")
    assert call.duration_seconds < 20
    # Released once or twice (the hang-up and the identifier's arrival may both send it): the
    # operator answers a second release of an ended call with an error we ignore.
    assert 1 <= len(requests_to(sandbox, "clicktodialrelease")) <= 2
    assert call.hangup_requested_at < timezone.now()
