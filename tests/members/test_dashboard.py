"""The admins' dashboard: who may open it, each panel from real calls, the live part, the pace."""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from calls.services.outcomes import NEVER_PLACED_MESSAGE
from members.models import MinutePool, PoolAlert
from members.pool.ledger import usage_record
from members.pool.services import pool_current, pool_for_day
from members.reports.dashboard import PoolPace, outcomes_on, pool_pace

pytestmark = pytest.mark.django_db

Status = Call.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGES = ["dashboard", "dashboard-live"]


@pytest.fixture
def finance_user(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_usage_report"))
    user.groups.add(group)
    return user


@pytest.fixture
def pool() -> MinutePool:
    pool = pool_current()
    pool.minutes_allotted = 100
    pool.alert_thresholds = [80, 95, 100]
    pool.save()
    return pool


def make_call(member, status: str, *, callee_name: str = "Li Wei", **fields) -> Call:
    """A call as calls.lifecycle leaves it in `status`; `created_at` may be moved into the past."""
    created_at = fields.pop("created_at", None)
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        callee_name=callee_name,
        status=status,
        **fields,
    )
    if created_at is not None:
        Call.objects.filter(pk=call.pk).update(created_at=created_at)
        call.refresh_from_db()
    return call


def ended_call(member, seconds: int, *, reason: str = "HangUp", **fields) -> Call:
    """A call that ended after `seconds` of talk (0: never answered), debited as production does."""
    now = timezone.now()
    call = make_call(
        member,
        Status.ENDED,
        reason=reason,
        duration_seconds=seconds,
        connected_at=now - timedelta(seconds=seconds) if seconds else None,
        ended_at=now,
        **fields,
    )
    with transaction.atomic():
        usage_record(call=call)
    return call


# Who may open it


@pytest.mark.parametrize("name", PAGES)
def test_it_shows_admins_the_dashboard(as_admin, name):
    assert as_admin.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_employees(client, member, name):
    client.force_login(member.user)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_finance(client, finance_user, name):
    client.force_login(finance_user)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_admins_land_on_the_dashboard_after_login(as_admin):
    response = as_admin.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_an_admin_with_a_member_number_still_lands_at_the_contacts(as_admin, admin_user, member):
    member.user = admin_user
    member.save()
    assert as_admin.get(reverse("home"))["Location"] == reverse("contact-list")


def test_only_admins_have_the_dashboard_link_first_in_the_nav(as_admin, client, member):
    body = as_admin.get(reverse("pool")).content.decode()
    nav = body[body.index('<nav aria-label="Main">') : body.index("</nav>")]
    assert nav.index(f'href="{reverse("dashboard")}"') < nav.index(reverse("contact-list"))

    client.force_login(member.user)
    assert f'href="{reverse("dashboard")}"' not in client.get(reverse("pool")).content.decode()


# The pool and its pace


def test_it_shows_the_pool_and_this_periods_trend(as_admin, pool, member):
    ended_call(member, 61)  # bills 2 minutes
    ended_call(member, 240)  # bills 4 minutes

    response = as_admin.get(reverse("dashboard"))

    body = response.content.decode()
    assert "6 of 100 minutes" in body
    today = timezone.localdate()
    assert f"{today:%-d %B}: 6 billed minutes, 2 calls" in body
    assert "<svg" in body
    pace = response.context["pace"]
    assert len(pace.days) == today.day  # every day of the month so far, quiet ones too
    assert [d.billed_seconds for d in pace.days] == [0] * (today.day - 1) + [360]
    expected = (Decimal(6) * pace.days_in_period / today.day).quantize(1, ROUND_HALF_UP)
    assert f"At this pace, <strong>{expected} minutes</strong> by month end" in body


def _april_call(member, day: int, seconds: int) -> None:
    call = make_call(
        member,
        Status.ENDED,
        reason="HangUp",
        duration_seconds=seconds,
        connected_at=datetime(2025, 4, day, 10, 0, tzinfo=SHANGHAI),
        ended_at=datetime(2025, 4, day, 10, 5, tzinfo=SHANGHAI),
        created_at=datetime(2025, 4, day, 10, 0, tzinfo=SHANGHAI),
    )
    with transaction.atomic():
        usage_record(call=call)


def test_the_pace_reads_the_daily_rollup_and_projects_from_days_elapsed(member):
    pool = pool_for_day(date(2025, 4, 1))
    _april_call(member, 2, 600)  # 10 min
    _april_call(member, 2, 300)  # 5 min
    _april_call(member, 7, 1200)  # 20 min
    _april_call(member, 12, 60)  # after "today": not in the trend

    pace = pool_pace(pool=MinutePool.objects.get(pk=pool.pk), today=date(2025, 4, 10))

    assert [d.day for d in pace.days] == [date(2025, 4, n) for n in range(1, 11)]
    by_day = {d.day.day: (d.calls, d.billed_minutes) for d in pace.days if d.calls}
    assert by_day == {2: (2, Decimal(15)), 7: (1, Decimal(20))}
    assert (pace.days_elapsed, pace.days_in_period) == (10, 30)
    # The balance (36 min, the 12th's call included) at 10 days' rate over 30 days.
    assert pace.projected_minutes == 108


@pytest.mark.parametrize(
    ("seconds_used", "today", "elapsed", "projected"),
    [
        (0, date(2025, 1, 1), 1, 0),
        (600, date(2025, 1, 1), 1, 310),  # 10 min on the first day of a 31-day month
        (600, date(2025, 1, 3), 3, 103),  # 103.33… rounds down
        (90, date(2025, 1, 2), 2, 23),  # 1.5 min * 31 / 2 = 23.25
        (6000, date(2025, 1, 31), 31, 100),  # the last day: the pace is what was used
        (6000, date(2025, 2, 3), 31, 100),  # a past period counts its whole length
        (3000, date(2025, 1, 16), 16, 97),  # 50 * 31 / 16 = 96.875
    ],
)
def test_the_projection_arithmetic(seconds_used, today, elapsed, projected):
    pool = MinutePool(
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        minutes_allotted=100,
        billed_seconds_used=seconds_used,
    )
    pace = PoolPace(pool=pool, today=today, days=[])
    assert pace.days_elapsed == elapsed
    assert pace.projected_minutes == projected
    assert pace.projected_over == (projected > 100)


def test_it_says_when_the_pace_overruns_the_allotment(as_admin, pool, member):
    today = timezone.localdate()
    # Enough today alone that any number of days left overruns 100 minutes, except on the last.
    ended_call(member, 60 * 90)
    body = as_admin.get(reverse("dashboard")).content.decode()
    pace_over = 90 * pool.period_end.day / today.day > 100
    assert ("more than the 100 allotted" in body) == pace_over


# Live calls and today's outcomes


def test_it_lists_the_calls_in_progress_with_links(as_admin, member, teammate_member):
    ringing = make_call(member, Status.CALLING_CALLER)
    talking = make_call(
        teammate_member,
        Status.CONNECTED,
        callee_name="Zhang Min",
        connected_at=timezone.now() - timedelta(seconds=75),
    )
    make_call(member, Status.QUEUED, callee_name="Liu Yang")
    ended_call(member, 30, callee_name="Zhao Lei")
    make_call(member, Status.FAILED, callee_name="Chen Jie", error_message="Blacklisted.")

    body = as_admin.get(reverse("dashboard-live")).content.decode()

    assert "Wang Fang → Li Wei" in body
    assert "Calling Wang Fang…" in body  # the onlooker's words, not "Calling you…"
    assert "Li Na → Zhang Min" in body
    assert "connected <time" in body
    assert "(1 min 15 s)" in body or "(1 min 16 s)" in body
    assert "Placing the call…" in body
    assert reverse("call-detail", args=[ringing.pk]) in body
    assert reverse("call-detail", args=[talking.pk]) in body
    live_section = body[: body.index("Today's calls")]
    assert "Zhao Lei" not in live_section
    assert "Chen Jie" not in live_section
    assert 'Live calls <span class="count">3</span>' in body


def test_the_live_part_follows_a_call_as_its_status_changes(as_admin, member):
    call = make_call(member, Status.CALLING_CALLEE)
    live = reverse("dashboard-live")
    assert "Calling Li Wei…" in as_admin.get(live).content.decode()

    Call.objects.filter(pk=call.pk).update(status=Status.CONNECTED, connected_at=timezone.now())
    body = as_admin.get(live).content.decode()
    assert "Calling Li Wei…" not in body
    assert '<span class="status status-connected">Connected</span>' in body
    assert '<span class="n">1</span> in progress' in body

    Call.objects.filter(pk=call.pk).update(
        status=Status.ENDED, reason="HangUp", ended_at=timezone.now(), duration_seconds=20
    )
    body = as_admin.get(live).content.decode()
    assert "No calls in progress." in body
    assert '<span class="n">1</span> answered' in body


def test_the_live_part_polls_itself_and_is_morphed_in_place(as_admin):
    body = as_admin.get(reverse("dashboard")).content.decode()
    assert f'hx-get="{reverse("dashboard-live")}"' in body
    assert 'hx-trigger="every 1s"' in body
    # Morphed, not swapped whole: a focused link and the status region stay the same nodes.
    assert 'hx-swap="morph:innerHTML"' in body
    assert 'hx-ext="morph"' in body
    assert "vendor/idiomorph-ext-" in body


def test_one_status_region_sums_up_the_live_part_outside_what_is_morphed(as_admin, member):
    make_call(member, Status.CONNECTED, connected_at=timezone.now())
    ended_call(member, 30)
    status = (
        '<p id="dashboard-live-status" class="visually-hidden" role="status" aria-live="polite"%s>'
        "Calls in progress: 1. Calls today: 2.</p>"
    )

    page = as_admin.get(reverse("dashboard")).content.decode()
    live = as_admin.get(reverse("dashboard-live")).content.decode()

    assert page.count('role="status"') == 1
    assert status % "" in page
    assert page.index(status % "") < page.index('id="dashboard-live"')
    # The poll brings it out of band, to be morphed where it stands: the same node, new words.
    assert status % ' hx-swap-oob="morph"' in live
    assert 'id="dashboard-live"' not in live  # the part's inside only, morphed into it
    assert 'id="dash-live-call-' in live  # each call matched to itself across polls


def test_the_status_region_speaks_chinese(as_admin, member):
    make_call(member, Status.CONNECTED, connected_at=timezone.now())

    body = as_admin.get(reverse("dashboard-live"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "进行中的通话：1。今日通话：1。" in body.decode()


def test_todays_calls_are_counted_by_outcome_in_plain_words(as_admin, member):
    ended_call(member, 45)
    ended_call(member, 300, reason="CalleeBusy")  # connected, then the line dropped: answered
    ended_call(member, 0, reason="CalleeBusy")
    ended_call(member, 0, reason="CalleeBusy")
    ended_call(member, 0, reason="CalleeNoAnswer")
    ended_call(member, 0, reason="CallerAbandon")
    ended_call(member, 0, reason="Cancelled")
    ended_call(member, 0, reason="SettledByHand")  # an unknown one an admin settled
    make_call(member, Status.FAILED, error_message="Blacklisted.", ended_at=timezone.now())
    make_call(member, Status.UNKNOWN)
    make_call(member, Status.CONNECTED, connected_at=timezone.now())
    make_call(member, Status.FAILED, created_at=timezone.now() - timedelta(days=1))  # yesterday

    outcomes = outcomes_on(day=timezone.localdate())

    assert [(o.label, o.count) for o in outcomes] == [
        ("Answered", 2),
        ("Contact's line busy", 2),
        ("Contact did not answer", 1),
        ("Caller hung up before the answer", 1),
        ("Cancelled before dialling", 1),
        ("Settled by an administrator", 1),
        ("Failed", 1),
        ("Outcome unknown", 1),
        ("In progress", 1),
    ]
    body = as_admin.get(reverse("dashboard-live")).content.decode()
    assert 'Today\'s calls <span class="count">11</span>' in body
    assert '<span class="n">2</span> contact&#x27;s line busy' in body
    assert '<span class="n">1</span> contact did not answer' in body
    assert '<span class="n">1</span> outcome unknown' in body


def test_a_day_is_the_enterprises_local_day(member):
    # 23:30 in Shanghai on 4 May is 15:30 UTC: the call belongs to 4 May, not to 5 May.
    make_call(member, Status.FAILED, created_at=datetime(2025, 5, 4, 23, 30, tzinfo=SHANGHAI))
    assert [o.count for o in outcomes_on(day=date(2025, 5, 4))] == [1]
    assert outcomes_on(day=date(2025, 5, 5)) == []


# Failures and alerts


def test_it_lists_the_last_ten_failures_with_their_reasons(as_admin, member):
    base = timezone.now() - timedelta(hours=1)
    for n in range(12):
        make_call(
            member,
            Status.FAILED,
            callee_name=f"Contact {n:02d}",
            error_message=f"Reason number {n:02d}.",
            ended_at=base + timedelta(minutes=n),
            created_at=base + timedelta(minutes=n),
        )
    lost = make_call(member, Status.UNKNOWN, callee_name="Lost One")
    ended_call(member, 0, reason="CalleeBusy", callee_name="Busy One")

    response = as_admin.get(reverse("dashboard"))

    failures = response.context["failures"]
    assert [f.whom for f in failures] == ["Lost One"] + [
        f"Contact {n:02d}" for n in range(11, 2, -1)
    ]
    body = response.content.decode()
    section = body[body.index("Recent failures") : body.index("Alerts in")]
    assert "Reason number 11." in section
    assert "Reason number 02." not in section
    assert "whether it connected is not known" in section
    assert reverse("call-detail", args=[lost.pk]) in section
    assert "Busy One" not in section


def test_it_lists_this_periods_alerts(as_admin, pool, member):
    ended_call(member, 60 * 85)

    body = as_admin.get(reverse("dashboard")).content.decode()

    assert PoolAlert.objects.filter(pool=pool).count() == 1
    section = body[body.index("Alerts in") :]
    assert "<strong>80 %</strong> crossed" in section
    assert "95 %</strong>" not in section


def test_it_says_so_when_nothing_happened(as_admin, pool):
    body = as_admin.get(reverse("dashboard")).content.decode()
    assert "0 of 100 minutes" in body
    assert "No calls in progress." in body
    assert "No calls yet today." in body
    assert "No failed calls." in body
    assert "None yet. Alerts go out at 80 %, 95 %, 100 %" in body


# Cost


def _lots_of_calls(member, teammate_member, n: int) -> None:
    for i in range(n):
        who = member if i % 2 else teammate_member
        ended_call(who, 30 + i, reason="HangUp")
        ended_call(who, 0, reason="CalleeBusy")
        make_call(who, Status.FAILED, error_message="Refused.", ended_at=timezone.now())
        make_call(who, Status.CONNECTED, connected_at=timezone.now())


def test_the_page_costs_the_same_queries_however_many_calls(
    as_admin, pool, member, teammate_member, django_assert_max_num_queries
):
    _lots_of_calls(member, teammate_member, 3)
    as_admin.get(reverse("dashboard"))  # the session and pool are warm from here on
    with django_assert_max_num_queries(9) as few:
        as_admin.get(reverse("dashboard"))
    _lots_of_calls(member, teammate_member, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_admin.get(reverse("dashboard"))
    assert len(response.context["live_calls"]) == 15


def test_the_live_part_is_a_few_queries(
    as_admin, member, teammate_member, django_assert_max_num_queries
):
    _lots_of_calls(member, teammate_member, 10)
    with django_assert_max_num_queries(4):
        response = as_admin.get(reverse("dashboard-live"))
    assert len(response.context["live_calls"]) == 10


def test_the_pool_figures_are_grouped_by_thousands(as_admin, pool):
    MinutePool.objects.filter(pk=pool.pk).update(
        minutes_allotted=250_000, billed_seconds_used=12_345 * 60
    )

    html = as_admin.get(reverse("dashboard")).content.decode()

    assert "12,345 of 250,000 minutes" in html
    assert "the 250,000 allotted" in html


def test_failures_and_outcomes_read_in_chinese_without_codes_or_english(as_admin, member):
    make_call(
        member,
        Status.FAILED,
        callee_name="Never Placed",
        error_message=NEVER_PLACED_MESSAGE,
        ended_at=timezone.now(),
    )
    make_call(
        member,
        Status.FAILED,
        callee_name="Caller Away",
        reason="CallerNoAnswer",
        ended_at=timezone.now(),
    )
    ended_call(member, 0, reason="SomethingNew")  # a reason the operator added since
    ended_call(member, 0, reason="")

    body = as_admin.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content
    text = body.decode()

    assert "通话未能发起：没有后台任务及时处理。" in text  # the stored message, in Chinese
    assert NEVER_PLACED_MESSAGE not in text
    assert "主叫未接听" in text  # the reason in words, told of the caller
    assert "CallerNoAnswer" not in text
    assert "SomethingNew" not in text
    # Both unanswered calls without words are counted together.
    assert '<span class="n">2</span> 未接通，其他原因' in text
