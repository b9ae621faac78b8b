"""Hundreds of call lifecycles, shuffled and partly duplicated, sent at once from many threads.

Where tests/members/test_concurrent_debit.py races duplicate Disconnecteds of connected calls,
this sends every notification of every lifecycle (ringing, connected, the end and the recording's
result; calls that never connect; calls whose begin answer was lost, so that the first
notification gives them their identifier), about one in ten twice, all shuffled together, over
real HTTP to the live server from 16 threads. Only PostgreSQL really runs those transactions side
by side, so the tests run there only (CI's second run).

It found notifications of a call whose begin answer was lost refused with 1001002 and dropped
when another notification was giving the call its identifier at the same moment; the last test
here replays that race step by step.
"""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse

import recordings.services
from calls.models import Call, CallEvent
from calls.services.notifications import NotifyOutcome, notification_receive
from members.models import UsageEntry
from tests.calls.helpers import (
    AUTH,
    KINDS,
    call_place,
    doubly_debited,
    ended_call_check,
    ledger_check,
    lifecycle_make,
)
from tests.reliability import record

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: only there do concurrent notification transactions overlap",
    ),
]

CALLS = 200
DUPLICATED = 0.10
BEGIN_LOST = 0.15
THREADS = 16
# Calls whose notifications are shuffled together: about THREADS notifications.
WINDOW = 4
SEED = 20261126


def test_shuffled_duplicated_lifecycles_from_many_senders_end_every_call_right(
    live_server, member, monkeypatch
):
    # Recording downloads are not this test's business: count them instead of fetching.
    downloads: list[int] = []
    monkeypatch.setattr(recordings.services, "_enqueue_download", downloads.append)
    rng = random.Random(SEED)
    lifecycles = [
        lifecycle_make(
            number=number,
            kind=rng.choice(sorted(KINDS)),
            duration=rng.choice([0, 59, 60, 61, rng.randint(1, 900)]),
            record=rng.random() < 0.8,
            begin_lost=rng.random() < BEGIN_LOST,
        )
        for number in range(CALLS)
    ]
    calls = {lifecycle.identifier: call_place(member, lifecycle).pk for lifecycle in lifecycles}
    posts = [(lifecycle, i) for lifecycle in lifecycles for i in range(len(lifecycle.bodies))]
    duplicates = rng.sample(posts, round(len(posts) * DUPLICATED))
    posts += duplicates
    # Shuffled together a few calls at a time, so that about THREADS notifications of the same
    # few calls are in flight at once and really race each other (one global shuffle would
    # spread a call's notifications over the whole run).
    window = {lifecycle.identifier: number // WINDOW for number, lifecycle in enumerate(lifecycles)}
    rng.shuffle(posts)
    posts.sort(key=lambda item: window[item[0].identifier])
    # Sent before a notification that comes earlier in its lifecycle.
    sent_so_far: dict[str, int] = {}
    reordered = 0
    for lifecycle, i in posts:
        reordered += sent_so_far.get(lifecycle.identifier, -1) > i
        sent_so_far[lifecycle.identifier] = max(sent_so_far.get(lifecycle.identifier, -1), i)

    def post(item) -> tuple[int, str]:
        lifecycle, i = item
        response = requests.post(
            live_server.url + reverse("operator-status-notify", args=[lifecycle.identifier]),
            data=lifecycle.body(i),
            headers={"Authorization": AUTH, "Content-Type": "application/json"},
            timeout=60,
        )
        return response.status_code, response.json()["code"]

    with ThreadPoolExecutor(max_workers=THREADS) as senders:
        answers = list(senders.map(post, posts))

    stored = CallEvent.objects.count()
    made = UsageEntry.objects.count()
    double = doubly_debited()
    record(
        "notifications",
        sent=len(posts),
        duplicated=len(duplicates),
        reordered=reordered,
        stored=stored,
        lost=len(posts) - stored,
    )
    record("debits", expected=CALLS, made=made, double=double)

    refused = [
        (lifecycle.identifier, lifecycle.bodies[i]["status"], lifecycle.begin_lost, answer)
        for (lifecycle, i), answer in zip(posts, answers, strict=True)
        if answer != (200, "0000000")
    ]
    assert not refused
    assert stored == len(posts)
    outcomes = dict(CallEvent.objects.order_by().values_list("outcome").annotate(n=Count("id")))
    assert set(outcomes) <= {"applied", "duplicate", "stale"}, outcomes
    # Each status a call went through was applied once, never twice; the end exactly once.
    applied = list(CallEvent.objects.filter(outcome="applied").values_list("call_id", "status"))
    assert len(applied) == len(set(applied))
    assert sum(status == "Disconnected" for _, status in applied) == CALLS
    by_pk = Call.objects.in_bulk(list(calls.values()))
    for lifecycle in lifecycles:
        ended_call_check(by_pk[calls[lifecycle.identifier]], lifecycle)
    # Every call ends, so every call is debited once (those that never talked, 0 minutes).
    assert (made, double) == (CALLS, 0)
    assert UsageEntry.objects.filter(billed_seconds__gt=0).count() == sum(
        1 for lifecycle in lifecycles if lifecycle.duration
    )
    ledger_check()
    # A recording to fetch is queued once per call that has one, however often it was reported.
    assert (
        len(downloads)
        == len(set(downloads))
        == sum(1 for lifecycle in lifecycles if lifecycle.recording_id)
    )


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_a_notification_that_waited_while_its_call_got_the_identifier_is_applied(member):
    """Regression: a call whose begin answer was lost takes its identifier from the first
    notification. A second one, arriving meanwhile, waited for the call's lock, then found the row
    no longer without identifier, and was answered 1001002 and dropped (seen above as refused
    CallingCaller/CallingCallee of begin-lost calls). It must find the call by its new identifier.
    """
    lifecycle = lifecycle_make(number=7, kind="normal", duration=61, record=False, begin_lost=True)
    call = call_place(member, lifecycle)
    locked, release = threading.Event(), threading.Event()

    def first_notification() -> None:
        # What the first notification's transaction does to the call, held open.
        try:
            with transaction.atomic():
                row = Call.objects.select_for_update().get(pk=call.pk)
                row.callidentifier = lifecycle.identifier
                row.save(update_fields=["callidentifier", "updated_at"])
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    def disconnected():
        try:
            return notification_receive(
                callidentifier=lifecycle.identifier, body=lifecycle.body(3), remote_addr=None
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as threads:
        holder = threads.submit(first_notification)
        assert locked.wait(30)
        answer = threads.submit(disconnected)
        deadline = time.monotonic() + 30
        while not _lock_waiters() and time.monotonic() < deadline:
            time.sleep(0.02)
        release.set()
        holder.result()

        assert answer.result(timeout=30) == NotifyOutcome.TAKEN
    ended_call_check(Call.objects.get(pk=call.pk), lifecycle)
    assert CallEvent.objects.get().outcome == CallEvent.Outcome.APPLIED
