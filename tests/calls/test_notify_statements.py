"""A call's progress in one PostgreSQL statement (calls.services.progress): the same writes as the
general path, and nothing written where the general path must decide."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import Call, CallEvent
from calls.services import notifications
from tests.calls.helpers import CALLEE, CALLER, answer, body, notify

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
    ),
]

# What an event row says, without what differs between any two rows (ids, times of writing).
EVENT_FIELDS = (
    "callidentifier",
    "remote_addr",
    "body",
    "status",
    "reason",
    "operator_timestamp",
    "event_source",
    "event_id",
    "outcome",
    "detail",
)
CALL_FIELDS = ("status", "reason", "error_code", "error_message", "connected_at", "ended_at")


def _progress(client, call: Call) -> list[tuple[int, str]]:
    """The call's three progress notifications; the answers."""
    return [
        answer(notify(client, body(status, timeStamp=f"2026-11-26T10:00:0{i}.000Z")))
        for i, status in enumerate(["CallingCaller", "CallingCallee", "Connected"])
    ]


def test_a_progress_notification_is_one_statement(client, call):
    with CaptureQueriesContext(connection) as queries:
        assert answer(notify(client, body("CallingCaller"))) == (200, "0000000")

    assert len(queries) == 1, [q["sql"] for q in queries]
    call.refresh_from_db()
    assert call.status == Call.Status.CALLING_CALLER
    event = call.events.get()
    assert event.outcome == CallEvent.Outcome.APPLIED
    assert event.status == "CallingCaller"


def test_it_writes_what_the_general_path_writes(client, call, member, monkeypatch):
    # The same notifications to a second call with the same numbers (and identifier, once the
    # first has ended and let it go), through the general path alone.
    assert _progress(client, call) == [(200, "0000000")] * 3
    shortcut = {
        "call": Call.objects.filter(pk=call.pk).values(*CALL_FIELDS).get(),
        "events": list(call.events.order_by("id").values(*EVENT_FIELDS)),
    }
    Call.objects.filter(pk=call.pk).update(status=Call.Status.FAILED, ended_at=timezone.now())
    general = Call.objects.create(
        member=member,
        sponsor=call.sponsor,
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.DIALING,
        callidentifier="B0C0D0",
    )
    monkeypatch.setattr(notifications, "progress_applied", lambda **kwargs: None)
    answers = [
        answer(
            notify(client, body(s, timeStamp=f"2026-11-26T10:00:0{i}.000Z"), identifier="B0C0D0")
        )
        for i, s in enumerate(["CallingCaller", "CallingCallee", "Connected"])
    ]

    assert answers == [(200, "0000000")] * 3
    assert Call.objects.filter(pk=general.pk).values(*CALL_FIELDS).get() == shortcut["call"]
    events = list(general.events.order_by("id").values(*EVENT_FIELDS))
    for event in events:
        event["callidentifier"] = call.callidentifier
    assert events == shortcut["events"]


@pytest.mark.parametrize(
    ("status_before", "notified", "outcome"),
    [
        (Call.Status.CONNECTED, "CallingCaller", CallEvent.Outcome.STALE),
        (Call.Status.CALLING_CALLER, "CallingCaller", CallEvent.Outcome.DUPLICATE),
        (Call.Status.UNKNOWN, "CallingCaller", CallEvent.Outcome.APPLIED),
        (Call.Status.ENDED, "Connected", CallEvent.Outcome.STALE),
    ],
)
def test_what_it_does_not_apply_the_general_path_decides(
    client, call, status_before, notified, outcome
):
    ended = {"ended_at": timezone.now()} if status_before == Call.Status.ENDED else {}
    Call.objects.filter(pk=call.pk).update(status=status_before, **ended)

    with CaptureQueriesContext(connection) as queries:
        assert answer(notify(client, body(notified)))[0] == 200

    assert len(queries) > 1  # the shortcut's statement, then the general path's transaction
    event = call.events.get()  # one event: the shortcut wrote none
    assert event.outcome == outcome


def test_a_body_about_other_numbers_is_kept_once_as_a_mismatch(client, call):
    response = notify(client, body("CallingCaller", callee="8613800000000"))

    assert answer(response) == (400, "0000002")
    assert call.events.get().outcome == CallEvent.Outcome.MISMATCH
    call.refresh_from_db()
    assert call.status == Call.Status.DIALING
