"""The benchmark's history generator writes rows the portal accepts and reads as it would its own.

It fills the tables with raw SQL, so a new NOT NULL column on a call or a ledger row breaks it
without any other test noticing (CI's quick benchmark did, at its end): it runs here at a small
scale, and the rows it makes must hold to the ledger's rules and read through the usage API.
"""

import io

import pytest
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from bench.generate import history_generate
from calls.models import Call
from members.models import Member, UsageEntry
from tests.calls.helpers import ledger_check
from tests.conftest import api_client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the generator writes with PostgreSQL's generate_series",
    ),
]


def test_generated_history_is_rows_the_portal_reads_as_its_own(admin_user):
    history_generate(calls=500, members=20, stdout=io.StringIO())

    assert Call.objects.count() == 500
    assert Member.objects.count() == 20
    assert UsageEntry.objects.count() == 500
    ledger_check()
    for call in Call.objects.all()[:50]:
        call.full_clean()
    # A fifth never answered; the rest talked and were billed by the minute.
    assert Call.objects.filter(connected_at__isnull=True).count() == 100

    first, last = Call.objects.aggregate(first=Min("created_at"), last=Max("created_at")).values()
    span = {"from": timezone.localdate(first), "to": timezone.localdate(last)}
    usage = api_client_for(admin_user).get("/api/v1/usage/", {"group_by": "member", **span})
    assert usage.status_code == 200, usage.content
    report = usage.json()
    assert report["total"]["calls"] == 500
    assert sum(row["calls"] for row in report["rows"]) == 500
    assert len(report["rows"]) == 20
