"""An identifier the operator hands out again once its call has ended names the new call; a late
notification for the earlier call never touches the new one (decided by time and state)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calls import exceptions
from calls.models import Call, CallEvent
from calls.services import dialing
from operator_api import OperatorUnreachable
from tests.calls.helpers import CALLEE, CALLER, FakeOperator, answer, body, notify

pytestmark = pytest.mark.django_db

REUSED = "A010B020"


@pytest.fixture
def operator(monkeypatch):
    """An operator whose begin answers with the identifier about to be reused."""
    fake = FakeOperator(on_begin=lambda: REUSED)
    monkeypatch.setattr(dialing, "get_operator", lambda: fake)
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

    dialing.call_begin(call_id=call.pk, last_attempt=True)

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
    dialing.call_begin(call_id=call.pk, last_attempt=True)

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
        dialing.call_begin(call_id=call.pk, last_attempt=True)

    call.refresh_from_db()
    earlier.refresh_from_db()
    assert (call.status, call.callidentifier) == (Call.Status.DIALING, REUSED)
    assert earlier.status == Call.Status.UNKNOWN
    assert "never reported" in earlier.error_message
    # The admins are told, with a link to settle it.
    assert any(f"/calls/{earlier.pk}/" in mail.body for mail in mailoutbox)


# Found by review: each of these once rang a phone twice, or touched the wrong call.


def test_a_begin_that_failed_after_the_operator_reported_on_the_call_is_not_sent_again(
    client, member, monkeypatch
):
    """The operator placed the call and notified before its begin answer broke: the call goes on
    as told, and is never put back in the queue to be dialled again."""

    def placed_then_lost() -> str:
        notify(client, body("CallingCaller", timeStamp=stamp(timezone.now())))
        raise OperatorUnreachable()

    operator = FakeOperator(on_begin=placed_then_lost)
    monkeypatch.setattr(dialing, "get_operator", lambda: operator)
    call = new_call(member)

    outcome = dialing.call_begin(call_id=call.pk, last_attempt=False)

    call.refresh_from_db()
    assert outcome is dialing.TaskOutcome.DONE
    assert (call.status, call.callidentifier) == (Call.Status.CALLING_CALLER, REUSED)
    assert len(operator.begins) == 1


def test_old_news_of_a_call_whose_identifier_moved_on_does_not_revive_it(
    client, member, earlier, operator
):
    """A call made unknown because a newer call took its identifier: a delayed Connected of its
    own is stale (no second live call holds the identifier); only its end may still be told."""
    Call.objects.filter(pk=earlier.pk).update(
        status=Call.Status.CALLING_CALLER, ended_at=None, duration_seconds=None
    )
    dialing.call_begin(call_id=new_call(member).pk, last_attempt=True)

    late = body("Connected", timeStamp=stamp(earlier.begun_at + timedelta(seconds=5)))
    assert answer(notify(client, late)) == (200, "0000000")

    earlier.refresh_from_db()
    assert earlier.status == Call.Status.UNKNOWN
    assert earlier.events.last().outcome == CallEvent.Outcome.STALE
    ended = body(
        "Disconnected",
        reason="HangUp",
        callDuration=30,
        timeStamp=stamp(earlier.begun_at + timedelta(seconds=40)),
    )
    assert answer(notify(client, ended)) == (200, "0000000")
    earlier.refresh_from_db()
    assert (earlier.status, earlier.duration_seconds) == (Call.Status.ENDED, 30)


def test_the_end_of_a_call_that_ended_just_before_the_new_one_began_is_its_own(
    client, member, earlier, operator
):
    """Within the clocks' margin the time alone cannot tell; the duration it reports can: the
    call it tells of began long before the new one."""
    Call.objects.filter(pk=earlier.pk).update(
        status=Call.Status.UNKNOWN, ended_at=None, duration_seconds=None
    )
    call = new_call(member)
    dialing.call_begin(call_id=call.pk, last_attempt=True)
    call.refresh_from_db()

    ended = body(
        "Disconnected",
        reason="HangUp",
        callDuration=160,
        timeStamp=stamp(call.begun_at - timedelta(seconds=10)),
    )
    assert answer(notify(client, ended)) == (200, "0000000")

    call.refresh_from_db()
    earlier.refresh_from_db()
    assert call.status == Call.Status.DIALING
    assert (earlier.status, earlier.duration_seconds) == (Call.Status.ENDED, 160)


def test_an_unknown_call_holding_the_identifier_does_not_swallow_another_calls_news(
    client, member, earlier
):
    """The identifier now names a call whose begin answer was lost (its numbers tell it): the
    news goes to that call, not to the old one of other numbers."""
    Call.objects.filter(pk=earlier.pk).update(
        status=Call.Status.UNKNOWN, callee="+8613800000001", ended_at=None, duration_seconds=None
    )
    lost = Call.objects.create(
        member=member,
        sponsor="01052680000",
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.UNKNOWN,
        begun_at=timezone.now() - timedelta(seconds=40),
    )

    ended = body("Disconnected", reason="HangUp", callDuration=20, timeStamp=stamp(timezone.now()))
    assert answer(notify(client, ended)) == (200, "0000000")

    lost.refresh_from_db()
    earlier.refresh_from_db()
    assert (lost.status, lost.callidentifier, lost.duration_seconds) == ("ended", REUSED, 20)
    assert earlier.status == Call.Status.UNKNOWN


def test_news_kept_days_ago_for_the_identifier_is_not_given_to_the_new_call(member, operator):
    stale = CallEvent.objects.create(
        callidentifier=REUSED,
        body='{"caller": "8613912345673", "callee": "8613810268653", "status": "Disconnected",'
        ' "reason": "HangUp", "callDuration": 300, "timeStamp": "2026-11-20T10:00:00Z"}',
        outcome=CallEvent.Outcome.UNKNOWN_CALL,
    )
    CallEvent.objects.filter(pk=stale.pk).update(received_at=timezone.now() - timedelta(days=2))
    call = new_call(member)

    dialing.call_begin(call_id=call.pk, last_attempt=True)

    call.refresh_from_db()
    stale.refresh_from_db()
    assert (call.status, call.callidentifier) == (Call.Status.DIALING, REUSED)
    assert (stale.call, stale.outcome) == (None, CallEvent.Outcome.UNKNOWN_CALL)


def test_an_old_call_whose_identifier_moved_on_cannot_be_hung_up(
    member, earlier, operator, monkeypatch
):
    """An EndCall for it would end the newer call that holds the identifier now."""
    Call.objects.filter(pk=earlier.pk).update(
        status=Call.Status.CONNECTED, ended_at=None, duration_seconds=None
    )
    dialing.call_begin(call_id=new_call(member).pk, last_attempt=True)
    earlier.refresh_from_db()
    assert earlier.status == Call.Status.UNKNOWN

    with pytest.raises(exceptions.CallNotAllowed, match="newer call"):
        dialing.call_hang_up(call=earlier)
    # A release already queued for it is dropped, not sent.
    assert dialing.call_release(call_id=earlier.pk) is dialing.TaskOutcome.DONE
    assert operator.released == []
