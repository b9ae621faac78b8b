"""The shared minute pool: billing rules, one debit per call, caps, alerts, rollover, the API."""

import base64
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from calls.exceptions import CallNotAllowed
from calls.models import Call
from calls.services.placing import call_start
from members.models import (
    BusinessNumber,
    Department,
    MinutePool,
    PoolAlert,
    UsageDaily,
    UsageEntry,
)
from members.pool.ledger import billed_seconds_for, usage_record
from members.pool.services import pool_current, pool_for_day
from members.reports.selectors import usage_report
from tests.conftest import NOTIFY_PASSWORD, NOTIFY_USERNAME, api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool() -> MinutePool:
    pool = pool_current()
    pool.minutes_allotted = 100
    pool.alert_thresholds = [80, 95, 100]
    pool.save()
    return pool


@pytest.fixture(autouse=True)
def _no_begin(monkeypatch) -> None:
    """These tests are about accounting: the begin task is not sent to any operator."""
    monkeypatch.setattr("calls.tasks.call_begin_task.apply_async", lambda *a, **k: None)


def ended_call(member, seconds: int, *, callidentifier: str | None = None) -> Call:
    """A call that ended just now after `seconds` of talk, debited as production does."""
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        status=Call.Status.ENDED,
        reason="HangUp",
        duration_seconds=seconds,
        ended_at=timezone.now(),
        callidentifier=callidentifier,
    )
    with transaction.atomic():
        usage_record(call=call)
    return call


@pytest.mark.parametrize(
    ("rule", "seconds", "billed"),
    [
        ("per_minute", 0, 0),
        ("per_minute", 1, 60),
        ("per_minute", 60, 60),
        ("per_minute", 61, 120),
        ("per_6_seconds", 61, 66),
        ("per_6_seconds", 6, 6),
        ("per_second", 61, 61),
    ],
)
def test_billing_rules(rule, seconds, billed):
    assert billed_seconds_for(seconds, rule=rule) == billed


def test_an_ended_call_is_debited_once_however_often_disconnected_arrives(client, member, pool):
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        status=Call.Status.CONNECTED,
        callidentifier="ONCE01",
    )
    body = {
        "caller": "8613912345673",
        "callee": "8613800000001",
        "status": "Disconnected",
        "reason": "HangUp",
        "callDuration": 61,
        "timeStamp": "2026-11-26T10:02:13Z",
    }
    auth = "Basic " + base64.b64encode(f"{NOTIFY_USERNAME}:{NOTIFY_PASSWORD}".encode()).decode()

    for _ in range(3):
        response = client.post(
            reverse("operator-status-notify", args=["ONCE01"]),
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
        assert response.status_code == 200

    pool.refresh_from_db()
    assert pool.billed_seconds_used == 120
    assert pool.minutes_used == Decimal("2.00")
    assert UsageEntry.objects.filter(call=call).count() == 1
    assert Call.objects.get(pk=call.pk).billed_minutes == 2
    daily = UsageDaily.objects.get()
    assert (daily.calls, daily.seconds, daily.billed_seconds) == (1, 61, 120)


def test_a_call_that_never_connected_bills_nothing_but_is_counted(member, pool):
    ended_call(member, 0)

    pool.refresh_from_db()
    assert pool.billed_seconds_used == 0
    assert UsageDaily.objects.get().calls == 1


def test_the_billing_rule_of_the_period_applies(member, pool):
    pool.billing_rule = MinutePool.BillingRule.PER_6_SECONDS
    pool.save()

    ended_call(member, 61)

    pool.refresh_from_db()
    assert pool.billed_seconds_used == 66
    assert pool.minutes_used == Decimal("1.10")


def test_a_new_month_opens_a_pool_with_the_last_months_terms(pool):
    pool.billing_rule = MinutePool.BillingRule.PER_SECOND
    pool.when_exhausted = MinutePool.WhenExhausted.ALLOW_AND_FLAG
    pool.save()
    next_month = pool.period_end + timedelta(days=1)

    new = pool_for_day(next_month)

    assert new.pk != pool.pk
    assert (new.period_start, new.period_end.month) == (next_month, next_month.month)
    assert (
        new.period_end + timedelta(days=1)
        == pool_for_day(new.period_end + timedelta(days=1)).period_start
    )
    assert (new.minutes_allotted, new.billing_rule, new.when_exhausted) == (
        100,
        "per_second",
        "allow_and_flag",
    )
    assert new.billed_seconds_used == 0


def test_the_periodic_rollover_opens_the_new_month_before_any_call(pool, monkeypatch):
    from members.tasks import pool_rollover_task

    next_month = pool.period_end + timedelta(days=1)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: next_month)

    pool_rollover_task()

    opened = MinutePool.objects.get(period_start=next_month)
    assert opened.minutes_allotted == pool.minutes_allotted
    assert not Call.objects.exists()
    assert "members.tasks.pool_rollover_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_periods_are_calendar_months():
    pool = pool_for_day(date(2028, 2, 10))
    assert (pool.period_start, pool.period_end) == (date(2028, 2, 1), date(2028, 2, 29))


def test_an_exhausted_pool_refuses_calls_with_a_plain_message(employee, member, pool):
    ended_call(member, 100 * 60)

    with pytest.raises(CallNotAllowed) as refused:
        call_start(user=employee, callee="+8613800000001")

    assert "used up (100 of 100 minutes)" in refused.value.message
    assert "Ask an administrator" in refused.value.message
    assert Call.objects.count() == 1


def test_allow_and_flag_places_the_call_and_flags_it(employee, member, pool):
    pool.when_exhausted = MinutePool.WhenExhausted.ALLOW_AND_FLAG
    pool.save()
    ended_call(member, 100 * 60)

    call = call_start(user=employee, callee="+8613800000001")

    assert call.over_limit is True
    assert "used up" in call.limit_note


def test_a_members_cap_refuses_that_member_only(employee, member, teammate, teammate_member, pool):
    member.minutes_cap = 2
    member.save()
    ended_call(member, 90)  # bills 2 minutes

    with pytest.raises(CallNotAllowed) as refused:
        call_start(user=employee, callee="+8613800000001")
    assert "(Wang Fang) has used 2 of its 2 minutes" in refused.value.message

    assert call_start(user=teammate, callee="+8613800000001").status == "queued"


def test_a_departments_cap_refuses_its_members(employee, member, pool):
    sales = Department.objects.create(name="Sales", minutes_cap=1)
    member.department = sales
    member.save()
    ended_call(member, 30)

    with pytest.raises(CallNotAllowed) as refused:
        call_start(user=employee, callee="+8613800000001")

    assert "The Sales department has used 1 of its 1 minutes" in refused.value.message


def test_a_call_shows_its_departments_business_number_else_the_default(employee, member, pool):
    BusinessNumber.objects.create(phone_number="+861052680000", is_default=True)
    hotline = BusinessNumber.objects.create(phone_number="+862161230000")
    assert call_start(user=employee, callee="+8613800000001").sponsor == "+861052680000"

    member.department = Department.objects.create(name="Sales", business_number=hotline)
    member.save()

    assert call_start(user=employee, callee="+8613800000002").sponsor == "+862161230000"


def test_each_threshold_is_mailed_once_per_period(
    member, pool, admin_user, django_capture_on_commit_callbacks
):
    admin_user.email = "boss@example.com"
    admin_user.save()

    with django_capture_on_commit_callbacks(execute=True):
        ended_call(member, 79 * 60)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        ended_call(member, 60)  # 80 %
    with django_capture_on_commit_callbacks(execute=True):
        ended_call(member, 60)  # 81 %: no second mail for 80 %

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Click to Dial: 80 % of")
    assert mail.outbox[0].to == ["boss@example.com"]
    assert "crossed 80 % of its 100 minutes (at 80.0 %" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        ended_call(member, 20 * 60)  # 101 %: 95 and 100 at once

    assert [m.subject.split(":")[1].strip().split(" %")[0] for m in mail.outbox] == [
        "80",
        "95",
        "100",
    ]
    assert set(PoolAlert.objects.values_list("threshold", flat=True)) == {80, 95, 100}
    assert all(PoolAlert.objects.values_list("sent_at", flat=True))


def test_the_pool_api(api, admin_user, member, pool):
    ended_call(member, 61)

    body = api.get(reverse("api-pool")).json()
    assert body["period_start"] == pool.period_start.isoformat()
    assert body["period_end"] == pool.period_end.isoformat()
    assert (body["minutes_allotted"], body["minutes_used"], body["minutes_remaining"]) == (
        100,
        2.0,
        98.0,
    )

    assert api.patch(reverse("api-pool"), {"minutes_allotted": 5}).status_code == 403
    admin = api_client_for(admin_user)
    changed = admin.patch(reverse("api-pool"), {"minutes_allotted": 200}, format="json")
    assert changed.status_code == 200
    assert changed.json()["minutes_remaining"] == 198.0
    entry = AuditLogEntry.objects.get(object_type="MinutePool")
    assert (entry.before["minutes_allotted"], entry.after["minutes_allotted"]) == (100, 200)
    assert entry.actor == admin_user

    bad = admin.patch(reverse("api-pool"), {"billing_rule": "per_hour"}, format="json")
    assert bad.status_code == 400 and "billing_rule" in bad.json()


def test_the_usage_api(api, admin_user, member, teammate_member, pool, django_user_model):
    ended_call(member, 61)
    ended_call(member, 30)
    ended_call(teammate_member, 0)
    today = timezone.localdate().isoformat()

    assert api.get(reverse("api-usage")).status_code == 403
    admin = api_client_for(admin_user)
    body = admin.get(
        reverse("api-usage"), {"group_by": "member", "from": today, "to": today}
    ).json()

    assert body["total"] == {"calls": 3, "seconds": 91, "billed_minutes": 3.0}
    rows = {row["label"]: row for row in body["rows"]}
    assert rows["Wang Fang"] == {
        "key": member.pk,
        "label": "Wang Fang",
        "calls": 2,
        "seconds": 91,
        "billed_minutes": 3.0,
    }
    assert rows["Li Na"]["calls"] == 1
    for group_by in ["department", "day", "month"]:
        grouped = admin.get(reverse("api-usage"), {"group_by": group_by}).json()
        assert sum(row["calls"] for row in grouped["rows"]) == 3
    assert admin.get(reverse("api-usage"), {"group_by": "year"}).status_code == 400
    assert admin.get(reverse("api-usage"), {"from": "2026-13-01"}).status_code == 400
    backwards = admin.get(reverse("api-usage"), {"from": "2026-11-02", "to": "2026-11-01"})
    assert backwards.status_code == 400 and "from" in backwards.json()


def test_usage_reports_match_the_ledger_for_any_range(member, teammate_member):
    """Whole months come from the monthly rollup and the edges from the daily one; together
    they must add up to exactly the ledger's entries in the range, however it is cut."""
    days = [
        date(2025, 1, 1),
        date(2025, 1, 15),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 2, 11),
        date(2025, 2, 28),
        date(2025, 3, 1),
        date(2025, 3, 10),
        date(2025, 3, 31),
    ]
    for i, day in enumerate(days):
        for who, seconds in ((member, 61 + i), (teammate_member, 5 * i)):
            call = Call.objects.create(
                member=who,
                sponsor="+861052680000",
                caller=who.phone_number,
                callee="+8613800000001",
                status=Call.Status.ENDED,
                duration_seconds=seconds,
                ended_at=timezone.now(),
            )
            noon = datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())
            Call.objects.filter(pk=call.pk).update(created_at=noon)  # auto_now_add ignores it
            call.refresh_from_db()
            with transaction.atomic():
                usage_record(call=call)

    ranges = [
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 1, 15), date(2025, 3, 10)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 2, 10), date(2025, 2, 12)),
        (date(2025, 1, 31), date(2025, 2, 1)),
    ]
    for date_from, date_to in ranges:
        entries = UsageEntry.objects.filter(day__gte=date_from, day__lte=date_to)
        expected = entries.aggregate(c=Count("id"), s=Sum("seconds"), b=Sum("billed_seconds"))
        for group_by in ["member", "department", "day", "month"]:
            report = usage_report(group_by=group_by, date_from=date_from, date_to=date_to)
            total = report.total
            assert (total.calls, total.seconds, total.billed_seconds) == (
                expected["c"],
                expected["s"] or 0,
                expected["b"] or 0,
            ), (date_from, date_to, group_by)
            assert sum(row.billed_seconds for row in report.rows) == (expected["b"] or 0)
        by_member = usage_report(group_by="member", date_from=date_from, date_to=date_to)
        for row in by_member.rows:
            mine = entries.filter(member_id=row.key).aggregate(b=Sum("billed_seconds"))["b"]
            assert row.billed_seconds == mine


# The pool page: the terms an admin sets, and the warning before the allotment drops below use


def _terms(**changes) -> dict:
    return {
        "minutes_allotted": 100,
        "billing_rule": "per_minute",
        "when_exhausted": "refuse",
        "alert_thresholds": "80, 95, 100",
        **changes,
    }


def test_setting_the_allotment_below_what_is_used_asks_to_confirm_first(client, admin_user, pool):
    MinutePool.objects.filter(pk=pool.pk).update(billed_seconds_used=60 * 60)  # 60 min used
    client.force_login(admin_user)
    url = reverse("pool-update")

    asked = client.post(url, _terms(minutes_allotted=50))

    pool.refresh_from_db()
    assert asked.status_code == 200
    assert pool.minutes_allotted == 100  # nothing saved yet
    html = asked.content.decode()
    assert "50 minutes is less than the 60 minutes already used this month." in html
    assert "Every call will be refused until the pool is raised again." in html
    assert 'name="confirm_below_used" value="50"' in html
    # Another figure below what is used asks again; the confirmed one is saved.
    client.post(url, _terms(minutes_allotted=40, confirm_below_used="50"))
    pool.refresh_from_db()
    assert pool.minutes_allotted == 100
    saved = client.post(url, _terms(minutes_allotted=50, confirm_below_used="50"))
    pool.refresh_from_db()
    assert (saved.status_code, pool.minutes_allotted) == (302, 50)


def test_an_allotment_at_or_above_what_is_used_saves_at_once(client, admin_user, pool):
    MinutePool.objects.filter(pk=pool.pk).update(billed_seconds_used=60 * 60)
    client.force_login(admin_user)

    response = client.post(reverse("pool-update"), _terms(minutes_allotted=60))

    pool.refresh_from_db()
    assert (response.status_code, pool.minutes_allotted) == (302, 60)


def test_the_pool_page_groups_its_numbers(client, admin_user, pool):
    MinutePool.objects.filter(pk=pool.pk).update(
        minutes_allotted=250_000, billed_seconds_used=12_345 * 60
    )
    client.force_login(admin_user)

    html = client.get(reverse("pool")).content.decode()

    assert "12,345 of 250,000 minutes" in html
    assert "237,655 minutes left" in html


@pytest.mark.parametrize(
    "typed",
    [
        "80, 95, 100",
        "80，95，100",
        "80、95、100",
        "80；95；100",  # noqa: RUF001 (full-width semicolons)
        "80 95\n100",
        "80%, 95%, 100%",
    ],
)
def test_alert_thresholds_are_read_with_any_separator_a_person_types(
    client, admin_user, pool, typed
):
    client.force_login(admin_user)

    response = client.post(reverse("pool-update"), _terms(alert_thresholds=typed))

    pool.refresh_from_db()
    assert (response.status_code, pool.alert_thresholds) == (302, [80, 95, 100])


def test_alert_thresholds_that_are_not_numbers_are_refused(client, admin_user, pool):
    client.force_login(admin_user)

    response = client.post(reverse("pool-update"), _terms(alert_thresholds="80, ninety"))

    pool.refresh_from_db()
    assert response.status_code == 400
    assert "Use whole percentages, e.g. 80, 95, 100." in response.content.decode()
    assert pool.alert_thresholds == [80, 95, 100]
