"""The pool's balance stays exact when many notifications arrive at once, duplicates included.

Each call's Disconnected is posted three times, all in parallel from many threads, to the live
server (one database connection per request thread). On PostgreSQL (CI's second run) these
transactions really overlap; the balance must still equal the sum of one debit per call.
"""

import base64
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core import mail
from django.db.models import Sum
from django.urls import reverse

from calls.models import Call
from members.models import PoolAlert, UsageDaily, UsageEntry
from members.pool.ledger import billed_seconds_for
from members.pool.services import pool_current
from tests.conftest import NOTIFY_PASSWORD, NOTIFY_USERNAME

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = 40
COPIES = 3
THREADS = 16


def test_parallel_and_duplicate_disconnects_debit_each_call_exactly_once(
    live_server, member, admin_user
):
    admin_user.email = "boss@example.com"
    admin_user.save()
    pool = pool_current()
    durations = {f"PAR{i:03d}": random.randint(0, 300) for i in range(CALLS)}
    expected = sum(billed_seconds_for(s, rule=pool.billing_rule) for s in durations.values())
    # Small enough that every alert threshold is crossed while the debits race.
    pool.minutes_allotted = int(expected / 60 * 0.9)
    pool.alert_thresholds = [80, 95, 100]
    pool.save()
    for identifier in durations:
        Call.objects.create(
            member=member,
            sponsor="+861052680000",
            caller=member.phone_number,
            callee="+8613800000001",
            status=Call.Status.CONNECTED,
            callidentifier=identifier,
        )
    auth = "Basic " + base64.b64encode(f"{NOTIFY_USERNAME}:{NOTIFY_PASSWORD}".encode()).decode()
    posts = [identifier for identifier in durations for _ in range(COPIES)]
    random.shuffle(posts)

    def post(identifier: str) -> int:
        response = requests.post(
            live_server.url + reverse("operator-status-notify", args=[identifier]),
            json={
                "caller": "8613912345673",
                "callee": "8613800000001",
                "status": "Disconnected",
                "reason": "HangUp",
                "callDuration": durations[identifier],
                "timeStamp": "2026-11-26T10:02:13.000Z",
            },
            headers={"Authorization": auth},
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=THREADS) as pool_of_threads:
        statuses = list(pool_of_threads.map(post, posts))

    assert statuses == [200] * len(posts)
    pool.refresh_from_db()
    assert pool.billed_seconds_used == expected
    assert UsageEntry.objects.count() == CALLS
    assert UsageEntry.objects.aggregate(s=Sum("billed_seconds"))["s"] == expected
    daily = UsageDaily.objects.aggregate(
        calls=Sum("calls"), seconds=Sum("seconds"), billed=Sum("billed_seconds")
    )
    assert daily == {"calls": CALLS, "seconds": sum(durations.values()), "billed": expected}
    assert set(Call.objects.values_list("status", flat=True)) == {"ended"}
    # Each threshold raised once and mailed once, however the debits interleaved.
    assert sorted(PoolAlert.objects.values_list("threshold", flat=True)) == [80, 95, 100]
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 3 and len(set(subjects)) == 3
