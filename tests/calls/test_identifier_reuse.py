"""An identifier the operator hands out again once its call has ended names the new call; a late
notification for the earlier call never touches the new one (decided by time and state)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calls import services
from calls.models import Call, CallEvent
from tests.calls.test_notify import CALLEE, CALLER, answer, body, notify

pytestmark = pytest.mark.django_db

REUSED = "A010B020"


class OperatorHandingOut:
    """An operator whose begin answers with the identifier a test chooses."""

    def __init__(self, callidentifier: str) -> None:
        self.callidentifier = callidentifier

    def begin(self, **numbers) -> str:
        return self.callidentifier


@pytest.fixture
def operator(monkeypatch):
    fake = OperatorHandingOut(REUSED)
    monkeypatch.setattr(services, "get_operator", lambda: fake)
    return fake


def stamp(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def earlier(member) -> Call:
    """A call that ended an hour ago, under the identifier the operator is about to reuse."""
    began = timezone.now() - timedelta(hours=1)
    return Call.objects.create(
        member=member,
        sponsor="01052680000",
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.ENDED,
        reason="HangUp",
        callidentifier=REUSED,
        begun_at=began,
        connected_at=began + timedelta(seconds=5),
        ended_at=began + timedelta(seconds=65),
        duration_seconds=60,
    )


def new_call(member) -> Call:
    return Call.objects.create(member=member, sponsor="01052680000", caller=CALLER, callee=CALLEE)


def test_a_reused_identifier_names_the_new_call(client, member, earlier, operator):
    call = new_call(member)

    services.call_begin(call_id=call.pk, last_attempt=True)

    call.refresh_from_db()
    assert (call.status, call.callidentifier) == (Call.Status.DIALING, REUSED)
    response = notify(client, body("Connected", timeStamp=stamp(timezone.now())))
    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    earlier.refresh_from_db()
    assert call.status == Call.Status.CONNECTED
    assert (earlier.status, earlier.duration_seconds) == (Call.Status.ENDED, 60)


def test_a_late_notification_for_the_earlier_call_never_touches_the_new_one(
    client, member, earlier, operator
):
    call = new_call(member)
    services.call_begin(call_id=call.pk, last_attempt=True)

    # The earlier call's Disconnected sent again, and a CallingCallee of it delayed for an hour.
    for late in (
        body("Disconnected", reason="HangUp", callDuration=60, timeStamp=stamp(earlier.ended_at)),
        body("CallingCallee", timeStamp=stamp(earlier.begun_at + timedelta(seconds=2))),
    ):
        assert answer(notify(client, late)) == (200, "0000000")

    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
    assert not call.events.exists()
    outcomes = set(earlier.events.values_list("outcome", flat=True))
    assert outcomes == {CallEvent.Outcome.DUPLICATE, CallEvent.Outcome.STALE}


def test_a_notification_before_the_begin_answer_is_the_new_calls_not_the_ended_ones(
    client, member, earlier
):
    """The operator's first notification can beat its begin answer: it happened after the
    earlier call had ended, so it is about the new call, found by its numbers."""
    call = new_call(member)
    Call.objects.filter(pk=call.pk).update(status=Call.Status.DIALING, begun_at=timezone.now())

    response = notify(client, body("CallingCaller", timeStamp=stamp(timezone.now())))

    assert answer(response) == (200, "0000000")
    call.refresh_from_db()
    earlier.refresh_from_db()
    assert (call.status, call.callidentifier) == (Call.Status.CALLING_CALLER, REUSED)
    assert earlier.status == Call.Status.ENDED
    assert not earlier.events.exists()


def test_a_live_call_holding_the_identifier_handed_out_again_becomes_unknown(
    member, earlier, operator, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    """Its end never reached us, yet the operator has ended it (it gave its identifier to a new
    call): unknown, for an admin to settle, and out of the new call's way."""
    Call.objects.filter(pk=earlier.pk).update(
        status=Call.Status.CONNECTED, ended_at=None, duration_seconds=None
    )
    call = new_call(member)

    admin_user.email = "boss@example.com"
    admin_user.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.call_begin(call_id=call.pk, last_attempt=True)

    call.refresh_from_db()
    earlier.refresh_from_db()
    assert (call.status, call.callidentifier) == (Call.Status.DIALING, REUSED)
    assert earlier.status == Call.Status.UNKNOWN
    assert "never reported" in earlier.error_message
    # The admins are told, with a link to settle it.
    assert any(f"/calls/{earlier.pk}/" in mail.body for mail in mailoutbox)
