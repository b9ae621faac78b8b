"""A call's progress and its end in one PostgreSQL statement (calls.services.progress): the same
writes as the general path, and nothing written where the general path must decide."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import Call, CallEvent
from calls.services import notifications, progress
from members.models import MinutePool, PoolAlert, UsageDaily, UsageEntry, UsageMonthly
from members.pool.services import pool_current, pool_for_day
from recordings.models import Recording
from tests.calls.helpers import CALLEE, CALLER, DISCONNECTED, answer, body, notify

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


PROGRESS = ("CallingCaller", "CallingCallee", "Connected")
# With the first and the last sent again, as the operator may.
REPEATED = ("CallingCaller", "CallingCaller", "CallingCallee", "Connected", "Connected")


def _progress(client, call: Call, statuses=PROGRESS) -> list[tuple[int, str]]:
    """The call's progress notifications; the answers."""
    return [
        answer(
            notify(
                client,
                body(status, timeStamp=f"2026-11-26T10:00:0{i}.000Z"),
                identifier=call.callidentifier,
            )
        )
        for i, status in enumerate(statuses)
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


def test_the_statement_is_planned_once_per_connection(client, call):
    # psycopg prepares it once it has run prepare_threshold times on the connection (here the
    # same CallingCaller again and again: the first moves the call, each after it is kept as a
    # duplicate).
    threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold")
    if threshold is None:
        pytest.skip("prepared statements are off (DATABASE_PREPARED_STATEMENTS=false)")
    answers = [answer(notify(client, body("CallingCaller"))) for _ in range(threshold + 2)]

    assert answers == [(200, "0000000")] * (threshold + 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FOR UPDATE" in statement for statement in prepared), prepared
    assert call.events.filter(outcome=CallEvent.Outcome.APPLIED).count() == 1
    assert call.events.filter(outcome=CallEvent.Outcome.DUPLICATE).count() == threshold + 1


def test_the_same_progress_again_is_one_statement_kept_as_a_duplicate(client, call):
    assert answer(notify(client, body("CallingCaller"))) == (200, "0000000")

    with CaptureQueriesContext(connection) as queries:
        assert answer(notify(client, body("CallingCaller"))) == (200, "0000000")

    assert len(queries) == 1, [q["sql"] for q in queries]
    call.refresh_from_db()
    assert call.status == Call.Status.CALLING_CALLER
    again = call.events.order_by("id").last()
    assert (again.outcome, again.detail) == (
        CallEvent.Outcome.DUPLICATE,
        "The call is already calling_caller.",
    )


def test_it_writes_what_the_general_path_writes(client, call, member, monkeypatch):
    # The same notifications to a second call with the same numbers (and identifier, once the
    # first has ended and let it go), through the general path alone.
    assert _progress(client, call, REPEATED) == [(200, "0000000")] * 5
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
    answers = _progress(client, general, REPEATED)

    assert answers == [(200, "0000000")] * 5
    assert Call.objects.filter(pk=general.pk).values(*CALL_FIELDS).get() == shortcut["call"]
    events = list(general.events.order_by("id").values(*EVENT_FIELDS))
    for event in events:
        event["callidentifier"] = call.callidentifier
    assert events == shortcut["events"]


@pytest.mark.parametrize(
    ("status_before", "notified", "outcome"),
    [
        (Call.Status.CONNECTED, "CallingCaller", CallEvent.Outcome.STALE),
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


# The end ---------------------------------------------------------------------------------------

USAGE_FIELDS = ("pool", "member", "department", "day", "seconds", "billed_seconds")
RECORDING_FIELDS = (
    "operator_result",
    "operator_recording_id",
    "recorded_at",
    "status",
    "file",
    "audio_format",
    "attempts",
    "last_error",
    "legal_hold",
)
ENDED_FIELDS = (*CALL_FIELDS, "duration_seconds", "recording_result", "recording_id")


def _written(call: Call) -> dict:
    """What ending `call` wrote, but the ids and times of writing."""
    call.refresh_from_db()
    return {
        "call": Call.objects.filter(pk=call.pk).values(*ENDED_FIELDS).get(),
        "events": list(call.events.order_by("id").values(*EVENT_FIELDS)),
        "usage": list(UsageEntry.objects.filter(call=call).values(*USAGE_FIELDS)),
        "recording": list(Recording.objects.filter(call=call).values(*RECORDING_FIELDS)),
    }


def _totals() -> tuple:
    """The pool's balance and the rollups' sums: what every debit moves."""
    sums = {"calls": Sum("calls"), "seconds": Sum("seconds"), "billed": Sum("billed_seconds")}
    return (
        MinutePool.objects.aggregate(Sum("billed_seconds_used"))["billed_seconds_used__sum"] or 0,
        UsageDaily.objects.aggregate(**sums),
        UsageMonthly.objects.aggregate(**sums),
    )


def _connected(call: Call) -> None:
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.CONNECTED, connected_at="2026-11-26T10:00:08Z"
    )


def test_the_end_is_one_read_and_one_writing_statement(client, call):
    pool_current()  # the month's pool is open (the first end of a month opens it)
    _connected(call)

    with CaptureQueriesContext(connection) as queries:
        assert answer(notify(client, DISCONNECTED)) == (200, "0000000")

    # The call as it stands with its period's pool, then every write at once.
    statements = [q["sql"] for q in queries]
    assert [s.split()[0] for s in statements] == ["SELECT", "WITH"], statements
    written = _written(call)
    assert written["call"]["status"] == Call.Status.ENDED
    assert written["usage"][0]["billed_seconds"] == 180
    assert written["recording"][0]["status"] == Recording.Status.PENDING
    assert [e["outcome"] for e in written["events"]] == [CallEvent.Outcome.APPLIED]


def test_the_months_first_end_opens_its_pool(client, call):
    _connected(call)
    assert not MinutePool.objects.exists()

    assert answer(notify(client, DISCONNECTED)) == (200, "0000000")

    entry = UsageEntry.objects.get(call=call)
    assert entry.pool == pool_current()
    assert entry.pool.billed_seconds_used == 180


@pytest.mark.parametrize(
    "ending",
    [
        DISCONNECTED,
        # No duration (worked out from the connected time), recording off.
        body("Disconnected", reason="HangUp", timeStamp="2026-11-26T10:01:08.000Z"),
        # A success with nothing to fetch, and a reason outside the seed's list.
        body("Disconnected", reason="Gone", callDuration=7, recordingResult="Success"),
        body("Disconnected", reason="Busy", callDuration=0, recordingResult="NoRecord"),
    ],
)
def test_the_end_writes_what_the_general_path_writes(
    client, call, member, monkeypatch, django_capture_on_commit_callbacks, ending
):
    downloads: list[int] = []
    monkeypatch.setattr("recordings.services._enqueue_download", downloads.append)
    pool_current()
    _connected(call)
    before = _totals()
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        assert answer(notify(client, ending)) == (200, "0000000")
    assert [q["sql"].split()[0] for q in queries] == ["SELECT", "WITH"]  # the shortcut's
    shortcut, after_shortcut = _written(call), _totals()
    general = Call.objects.create(
        member=member,
        sponsor=call.sponsor,
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.CONNECTED,
        connected_at="2026-11-26T10:00:08Z",
        callidentifier="B0C0D0",
    )
    monkeypatch.setattr(notifications, "progress_applied", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert answer(notify(client, ending, identifier="B0C0D0")) == (200, "0000000")
    written = _written(general)
    for event in written["events"]:
        event["callidentifier"] = call.callidentifier

    assert written == shortcut
    assert _totals_moved(before, after_shortcut) == _totals_moved(after_shortcut, _totals())
    # Each recording to fetch was sent for download once, after its commit.
    pending = Recording.objects.filter(status=Recording.Status.PENDING)
    assert sorted(downloads) == sorted(pending.values_list("pk", flat=True))


def _totals_moved(before: tuple, after: tuple) -> tuple:
    pool = after[0] - before[0]
    rollups = [
        {key: (after[i][key] or 0) - (before[i][key] or 0) for key in after[i]} for i in (1, 2)
    ]
    return pool, rollups


def test_a_call_changed_after_it_was_read_is_left_to_the_general_path(client, call, monkeypatch):
    # Connected is applied by another process between the end's read and its write: the write
    # must find the row not as read, change nothing, and the general path end the call from the
    # row as it now is (the connected time the duration-less end is measured from).
    Call.objects.filter(pk=call.pk).update(status=Call.Status.CALLING_CALLEE)
    read = progress._end_read

    def read_then_a_concurrent_connect(callidentifier):
        found = read(callidentifier)
        Call.objects.filter(pk=call.pk).update(
            status=Call.Status.CONNECTED, connected_at="2026-11-26T10:00:08Z"
        )
        return found

    monkeypatch.setattr(progress, "_end_read", read_then_a_concurrent_connect)
    ending = body("Disconnected", reason="HangUp", timeStamp="2026-11-26T10:01:08.000Z")

    assert answer(notify(client, ending)) == (200, "0000000")

    written = _written(call)
    assert written["call"]["status"] == Call.Status.ENDED
    assert written["call"]["duration_seconds"] == 60
    assert [e["outcome"] for e in written["events"]] == [CallEvent.Outcome.APPLIED]
    assert [u["seconds"] for u in written["usage"]] == [60]
    assert UsageDaily.objects.get().calls == 1


def test_an_end_that_crosses_a_threshold_raises_its_alert(client, call):
    pool = pool_current()
    pool.minutes_allotted = 2
    pool.alert_thresholds = [80, 100]
    pool.save()
    _connected(call)

    assert answer(notify(client, DISCONNECTED)) == (200, "0000000")  # 3 minutes of 2

    assert sorted(PoolAlert.objects.values_list("threshold", flat=True)) == [80, 100]


def test_two_ends_at_once_end_and_bill_the_call_once(client, call, monkeypatch):
    # The operator's resent Disconnected is applied in full between the first one's read and
    # its write: the first must then write nothing and be told a duplicate by the general path
    # (without its guard on the status, it broke the usage entry's unique call: 503).
    pool_current()
    _connected(call)
    read = progress._end_read
    answers = []
    resent = []

    def read_then_the_resent_end(callidentifier):
        found = read(callidentifier)
        if not resent:
            resent.append(True)  # once: the resent end reads through here too
            answers.append(answer(notify(client, DISCONNECTED)))
        return found

    monkeypatch.setattr(progress, "_end_read", read_then_the_resent_end)

    answers.append(answer(notify(client, DISCONNECTED)))

    assert answers == [(200, "0000000")] * 2
    outcomes = list(call.events.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [CallEvent.Outcome.APPLIED, CallEvent.Outcome.DUPLICATE]
    assert UsageEntry.objects.filter(call=call).count() == 1
    assert UsageDaily.objects.get().calls == 1


@pytest.mark.parametrize(
    ("created_at", "month"),
    [
        ("2026-11-30T15:59:59Z", 11),  # 23:59:59 in Shanghai: still November
        ("2026-11-30T16:00:00Z", 12),  # midnight in Shanghai: December
        ("2026-12-31T16:00:00Z", 1),  # the new year's, not yet open: opened
    ],
)
def test_the_end_bills_the_month_of_the_calls_local_day(client, call, settings, created_at, month):
    settings.TIME_ZONE = "Asia/Shanghai"
    for day in (date(2026, 11, 15), date(2026, 12, 15)):
        pool_for_day(day)
    Call.objects.filter(pk=call.pk).update(created_at=created_at)
    _connected(call)

    assert answer(notify(client, DISCONNECTED)) == (200, "0000000")

    assert UsageEntry.objects.get(call=call).pool.period_start.month == month


def test_an_end_that_is_not_applied_opens_no_pool(client, call):
    _connected(call)

    response = notify(client, {**DISCONNECTED, "callee": "8613800000000"})

    assert answer(response) == (400, "0000002")
    assert not MinutePool.objects.exists()


def test_an_alert_that_cannot_be_raised_leaves_the_applied_end_as_it_is(
    client, call, monkeypatch, caplog
):
    # The alerts come after the end's statement has committed: their failure is logged, and the
    # operator is not asked to resend an end that is kept (its resend would be a duplicate).
    pool_current()
    _connected(call)

    def broken(pool):
        raise RuntimeError("mail queue away")

    monkeypatch.setattr(progress, "alerts_raise", broken)

    assert answer(notify(client, DISCONNECTED)) == (200, "0000000")

    assert list(call.events.values_list("outcome", flat=True)) == [CallEvent.Outcome.APPLIED]
    assert "its alerts could not be raised now" in caplog.text


def test_while_a_webhook_endpoint_is_active_the_general_path_applies_everything(client, call):
    """The shortcut sends no signal, so it stands aside (writes nothing) while an app listens to a
    call's changes (webhooks: an active endpoint); the general path applies and signals each."""
    from calls.signals import call_status_changed
    from webhooks.models import WebhookEndpoint

    WebhookEndpoint.objects.create(url="https://93.184.215.14/hooks", events=["call.status"])
    pool_current()
    signalled = []

    def listen(sender, call, **kwargs):
        signalled.append(call.status)

    call_status_changed.connect(listen)
    try:
        assert _progress(client, call) == [(200, "0000000")] * 3
        assert answer(notify(client, DISCONNECTED)) == (200, "0000000")
    finally:
        call_status_changed.disconnect(listen)

    assert signalled == ["calling_caller", "calling_callee", "connected", "ended"]
    call.refresh_from_db()
    assert call.status == Call.Status.ENDED
    assert call.usage.billed_seconds == 180
