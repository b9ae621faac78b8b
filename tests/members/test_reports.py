"""Finance report pages: who may see them, usage by member, department, day and month, the calls
behind each figure, pool history, and the number of queries they take."""

import csv
import io
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from calls.selectors import duration_display
from members.models import MinutePool, PoolAlert
from members.reports.selectors import UsageReport, UsageRow, usage_report, usage_row_scope
from tests.members.reports_fixtures import *  # noqa: F403 - the fixtures, found by name
from tests.members.reports_fixtures import Made, ended_call, local, made_between, minutes_text

pytestmark = pytest.mark.django_db

APRIL = {"from": "2025-04-01", "to": "2025-04-30"}
FIRST, LAST = date(2025, 4, 1), date(2025, 4, 30)

REPORT_URLS = [
    ("report-usage", {}),
    ("report-usage-csv", {}),
    ("report-usage-xlsx", {}),
    ("report-calls", {}),
    ("report-calls-csv", {}),
    ("report-calls-xlsx", {}),
    ("report-pools", {}),
]


@pytest.fixture
def as_finance(client, finance_user):
    client.force_login(finance_user)
    return client


def _sum(made: list[Made]) -> tuple[int, int, int]:
    return len(made), sum(c.seconds for c in made), sum(c.billed_seconds for c in made)


def _figures(row: dict) -> tuple[int, str]:
    return row["calls"], row["billed_minutes"]


# Who may see the reports


@pytest.mark.parametrize(("name", "query"), REPORT_URLS)
def test_admin_and_finance_may_see_every_report_page_and_export(
    client, admin_user, finance_user, usage, name, query
):
    for user in (admin_user, finance_user):
        client.force_login(user)
        response = client.get(reverse(name), {**APRIL, **query})
        assert response.status_code == 200, (user, name)


@pytest.mark.parametrize(("name", "query"), REPORT_URLS)
def test_an_employee_is_refused_every_report_page_and_export(client, employee, name, query):
    client.force_login(employee)
    assert client.get(reverse(name), query).status_code == 403


@pytest.mark.parametrize(("name", "query"), REPORT_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, name, query):
    response = client.get(reverse(name), query)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_the_reports_link_shows_for_finance_and_admins_only(client, employee, finance_user):
    link = f'href="{reverse("report-usage")}"'
    client.force_login(employee)
    assert link not in client.get(reverse("contact-list")).content.decode()
    client.force_login(finance_user)
    assert link in client.get(reverse("contact-list")).content.decode()


# Usage by member, department, day and month


def test_report_by_member_adds_up_the_calls_made_in_the_range(as_finance, usage, report_members):
    response = as_finance.get(reverse("report-usage"), {**APRIL, "group_by": "member"})

    in_april = made_between(usage, FIRST, LAST)
    rows = {row["label"]: row for row in response.context["rows"]}
    for key, member in report_members.items():
        calls, _, billed = _sum([c for c in in_april if c.member == member])
        assert _figures(rows[member.name]) == (calls, minutes_text(billed)), key
    calls, seconds, billed = _sum(in_april)
    report = response.context["report"]
    assert (report.total.calls, report.total.seconds, report.total.billed_seconds) == (
        calls,
        seconds,
        billed,
    )
    assert calls == 6  # both ends of the range are in, the days either side are out
    assert _figures(response.context["total"]) == (6, minutes_text(billed))
    body = response.content.decode()
    assert "Wang Fang" in body and "Total" in body
    assert "1–30 April 2025" in body  # noqa: RUF001 (an en dash)


def test_report_by_department_has_a_row_for_members_in_no_department(
    as_finance, usage, departments
):
    response = as_finance.get(reverse("report-usage"), {**APRIL, "group_by": "department"})

    in_april = made_between(usage, FIRST, LAST)
    rows = {row["label"]: row for row in response.context["rows"]}
    assert set(rows) == {"Sales", "Support", "No department"}
    for label, department in [
        ("Sales", departments["sales"]),
        ("Support", departments["support"]),
        ("No department", None),
    ]:
        calls, _, billed = _sum([c for c in in_april if c.department == department])
        assert _figures(rows[label]) == (calls, minutes_text(billed)), label


def test_report_by_day_lists_each_day_with_calls_in_order(as_finance, usage):
    response = as_finance.get(reverse("report-usage"), {**APRIL, "group_by": "day"})

    rows = response.context["rows"]
    assert [row["label"] for row in rows] == ["2025-04-01", "2025-04-17", "2025-04-30"]
    first_day = [c for c in usage if c.day == FIRST]
    assert _figures(rows[0]) == (3, minutes_text(_sum(first_day)[2]))


def test_report_by_month_over_a_range_that_cuts_months(as_finance, usage):
    response = as_finance.get(
        reverse("report-usage"), {"group_by": "month", "from": "2025-03-31", "to": "2025-05-01"}
    )

    rows = response.context["rows"]
    assert [row["label"] for row in rows] == ["March 2025", "April 2025", "May 2025"]
    assert [row["calls"] for row in rows] == [1, 6, 1]
    # Months are drawn as columns over time, each a link to its calls (in the wide drawing and
    # again in the phone's).
    chart = str(response.context["chart"])
    assert chart.count("<a href=") == 3 * 2


def test_report_defaults_to_this_month_by_member(as_finance, report_members):
    ended_call(report_members["wang"], seconds=61, at=timezone.localtime())

    response = as_finance.get(reverse("report-usage"))

    report = response.context["report"]
    today = timezone.localdate()
    assert report.group_by == "member"
    assert report.date_from == today.replace(day=1)
    assert report.date_to.month == today.month and (report.date_to.day >= 28)
    assert [(r["label"], r["calls"], r["billed_minutes"]) for r in response.context["rows"]] == [
        ("Wang Fang", 1, "2")
    ]


def test_presets_link_to_this_month_last_month_and_this_year(as_finance):
    response = as_finance.get(reverse("report-usage"), {"group_by": "day"})

    today = timezone.localdate()
    presets = {p["label"]: parse_qs(urlsplit(p["href"]).query) for p in response.context["presets"]}
    assert presets["This month"]["from"] == [today.replace(day=1).isoformat()]
    assert presets["This year"] == {
        "group_by": ["day"],
        "from": [f"{today.year}-01-01"],
        "to": [f"{today.year}-12-31"],
    }
    last = presets["Last month"]
    assert date.fromisoformat(last["to"][0]) < today.replace(day=1)
    assert date.fromisoformat(last["from"][0]).day == 1
    assert [p["active"] for p in response.context["presets"]] == [True, False, False]


def test_a_range_that_ends_before_it_starts_is_explained(as_finance):
    response = as_finance.get(reverse("report-usage"), {"from": "2025-05-01", "to": "2025-04-01"})

    # The page with its message, as a refused query (issue 19), not a report of nothing.
    assert response.status_code == 400
    assert "The first day must not be after the last day." in response.content.decode()
    assert "rows" not in response.context


def test_the_chart_is_inline_svg_with_a_title_values_and_links(as_finance, usage):
    response = as_finance.get(reverse("report-usage"), {**APRIL, "group_by": "member"})

    body = response.content.decode()
    svg = re.search(r"<svg class=\"chart\".*?</svg>", body, re.S).group(0)
    assert '<title id="chart-rows-title">Billed minutes by member' in svg
    assert 'aria-labelledby="chart-rows-title chart-rows-desc"' in svg
    # Every figure is written in text and is a link to the calls behind it.
    for row in response.context["rows"]:
        assert f"{row['billed_minutes']} min</text>" in svg
        assert f'<a href="{row["href"].replace("&", "&amp;")}"' in svg
        assert f'aria-label="{row["label"]}: {row["billed_minutes"]} billed minutes' in svg
    assert "<script" not in body.split("</head>")[1]


# The calls behind a figure


@pytest.mark.parametrize("group_by", ["member", "department", "day", "month"])
def test_the_calls_behind_every_figure_add_up_to_it(as_finance, usage, group_by):
    query = {"group_by": group_by, "from": "2025-03-31", "to": "2025-05-20"}
    report = as_finance.get(reverse("report-usage"), query).context

    assert report["rows"]
    for row in [*report["rows"], report["total"]]:
        calls = as_finance.get(row["href"]).context
        assert calls["total"] == {
            "calls": row["calls"],
            "talk": row["talk"],
            "billed_minutes": row["billed_minutes"],
        }, row["href"]
        assert len(calls["rows"]) == row["calls"]


def test_a_month_cut_by_the_range_links_to_the_cut_month():
    report = UsageReport("month", date(2025, 4, 15), date(2025, 5, 10), [], None)

    april = usage_row_scope(report=report, row=UsageRow("2025-04", "April 2025", 1, 1, 1))
    may = usage_row_scope(report=report, row=UsageRow("2025-05", "May 2025", 1, 1, 1))
    december = usage_row_scope(
        report=UsageReport("month", date(2024, 1, 1), date(2025, 12, 31), [], None),
        row=UsageRow("2024-12", "December 2024", 1, 1, 1),
    )

    assert (april.date_from, april.date_to) == (date(2025, 4, 15), date(2025, 4, 30))
    assert (may.date_from, may.date_to) == (date(2025, 5, 1), date(2025, 5, 10))
    assert (december.date_from, december.date_to) == (date(2024, 12, 1), date(2024, 12, 31))


def test_calls_behind_a_member_list_only_theirs_in_the_range(as_finance, usage, report_members):
    wang = report_members["wang"]

    response = as_finance.get(reverse("report-calls"), {**APRIL, "member": wang.pk})

    rows = response.context["rows"]
    assert [row["member"] for row in rows] == ["Wang Fang"] * 3
    # Newest first, as every list of calls.
    assert [row["when"].date() for row in rows] == [LAST, FIRST, FIRST]
    assert response.context["heading"] == "Calls of Wang Fang"
    assert "Calls placed 1–30 April 2025, newest first." in response.content.decode()  # noqa: RUF001
    csv_query = parse_qs(urlsplit(response.context["csv_href"]).query)
    assert csv_query == {"from": [APRIL["from"]], "to": [APRIL["to"]], "member": [str(wang.pk)]}


def test_calls_behind_no_department(as_finance, usage):
    response = as_finance.get(reverse("report-calls"), {**APRIL, "department": 0})

    assert {row["member"] for row in response.context["rows"]} == {"Chen Jie"}
    assert response.context["heading"].startswith("Calls of members in no department")


def test_calls_are_paged_and_the_pages_keep_the_filters(as_admin, report_members):
    for minute in range(55):
        ended_call(report_members["li"], seconds=30, at=local(2025, 4, 2, 9, minute))

    first = as_admin.get(reverse("report-calls"), {**APRIL, "member": report_members["li"].pk})
    assert len(first.context["rows"]) == 50
    assert first.context["total"]["calls"] == 55
    body = first.content.decode()
    next_link = re.search(r'href="\?([^"]+page=2)"', body).group(1).replace("&amp;", "&")
    second = as_admin.get(reverse("report-calls") + "?" + next_link)
    assert len(second.context["rows"]) == 5
    assert second.context["total"]["calls"] == 55


# Masking


def test_finance_see_numbers_masked_on_the_calls_page(as_finance, usage):
    response = as_finance.get(reverse("report-calls"), APRIL)

    body = response.content.decode()
    assert "+86 139****5673" in body  # Wang Fang's own number, as caller
    assert "+8613912345673" not in body and "139 1234 5673" not in body
    assert "+86 138****0001" in body  # the callee of the second call made
    assert "+8613800000001" not in body and "138 0000 0001" not in body


def test_admins_see_numbers_whole_on_the_calls_page(as_admin, usage):
    body = as_admin.get(reverse("report-calls"), APRIL).content.decode()

    # Whole, in the national form people write (calls.templatetags.phone).
    assert "139 1234 5673" in body
    assert "138 0000 0001" in body
    assert "****" not in body


# Pool history


def test_pool_history_has_a_row_per_period_with_the_alerts_crossed(as_finance, usage):
    april = MinutePool.objects.get(period_start=date(2025, 4, 1))
    april.minutes_allotted = 10
    april.save()
    PoolAlert.objects.create(pool=april, threshold=95, percent_used=120)
    PoolAlert.objects.create(pool=april, threshold=80, percent_used=90)

    response = as_finance.get(reverse("report-pools"))

    rows = response.context["rows"]
    assert [row["period"] for row in rows] == [
        "June 2025",
        "May 2025",
        "April 2025",
        "March 2025",
    ]
    april_row = rows[2]
    used = sum(c.billed_seconds for c in made_between(usage, FIRST, LAST))
    assert april_row["used"] == minutes_text(used)
    assert april_row["allotted"] == 10
    assert april_row["remaining"] == minutes_text(600 - used)
    assert april_row["over"] is True
    assert april_row["alerts"] == ["80 %", "95 %"]
    assert april_row["percent_used"] == april.percent_used
    assert parse_qs(urlsplit(april_row["href"]).query)["to"] == ["2025-04-30"]
    assert "<svg" in response.content.decode()


def test_pool_history_speaks_chinese_in_its_chart_and_percentages(as_finance, usage):
    april = MinutePool.objects.get(period_start=date(2025, 4, 1))
    PoolAlert.objects.create(pool=april, threshold=95, percent_used=120)
    PoolAlert.objects.create(pool=april, threshold=80, percent_used=90)

    response = as_finance.get(reverse("report-pools"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    body = response.content.decode()
    chart = body[body.index("<svg") : body.index("</svg>")]
    # The chart's months in Chinese ("2025年4月"), not strftime's English "Apr 2025".
    assert "2025年4月" in chart
    assert "Apr" not in chart
    assert "80%、95%" in body
    assert re.search(r"\d %", body) is None  # 80%, in the chart's scale too


# Queries


def _queries(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("group_by", ["member", "department", "day", "month"])
def test_the_report_page_takes_the_same_queries_however_many_calls(
    as_finance, report_members, group_by
):
    query = {"group_by": group_by, **APRIL}
    ended_call(report_members["wang"], seconds=10, at=local(2025, 4, 3))
    few = _queries(as_finance, reverse("report-usage"), query)
    for day in range(4, 24):
        for member in report_members.values():
            ended_call(member, seconds=70, at=local(2025, 4, day))

    assert _queries(as_finance, reverse("report-usage"), query) == few
    # The report, the calls by hour and the previous period's totals (for the comparison).
    assert few <= 10


def test_the_calls_page_takes_the_same_queries_however_many_calls(as_finance, report_members):
    ended_call(report_members["wang"], seconds=10, at=local(2025, 4, 3))
    few = _queries(as_finance, reverse("report-calls"), APRIL)
    for minute in range(60):
        ended_call(report_members["li"], seconds=70, at=local(2025, 4, 5, 10, minute))

    assert _queries(as_finance, reverse("report-calls"), APRIL) == few
    assert few <= 7


def test_the_pool_history_takes_two_queries_for_the_periods_and_their_alerts(as_admin, usage):
    with CaptureQueriesContext(connection) as captured:
        as_admin.get(reverse("report-pools"))
    pool_queries = [q for q in captured if 'FROM "members_minutepool"' in q["sql"]]
    alert_queries = [q for q in captured if 'FROM "members_poolalert"' in q["sql"]]
    assert (len(pool_queries), len(alert_queries)) == (1, 1)


def test_the_selector_reports_from_the_rollup_the_same_as_the_page(as_finance, usage):
    report = usage_report(group_by="member", date_from=FIRST, date_to=LAST)
    page = as_finance.get(reverse("report-usage"), {**APRIL, "group_by": "member"})

    assert [row.label for row in report.rows] == [row["label"] for row in page.context["rows"]]


# The call figures: answer rate, average talk time, calls by hour, this period against the last


def _placed(member, *, at, status: str) -> None:
    """A call placed at `at` that never connected (failed) or is still in progress."""
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000009",
        status=status,
        reason="CalleeBusy" if status == "failed" else "",
    )
    Call.objects.filter(pk=call.pk).update(created_at=at)


def test_the_report_shows_answer_rate_average_talk_and_calls_by_hour(
    as_finance, usage, report_members
):
    _placed(report_members["li"], at=local(2025, 4, 1, 15, 30), status="failed")
    _placed(report_members["chen"], at=local(2025, 4, 2, 9, 10), status="failed")
    _placed(report_members["chen"], at=local(2025, 4, 2, 9, 20), status="connected")  # live
    _placed(report_members["chen"], at=local(2025, 5, 2, 9, 20), status="failed")  # after

    response = as_finance.get(reverse("report-usage"), APRIL)

    # April's six ended calls (846 s of talk) of eight placed; the live call is not counted.
    context = response.context
    assert (context["outcomes"].placed, context["outcomes"].answered) == (8, 6)
    assert context["answer_rate"] == 75
    assert context["average_talk"] == "2 min 21 s"  # 846 s / 6 calls
    hours = [(h["label"], h["placed"], h["answered"]) for h in context["hours"]]
    assert hours == [
        ("00:00\u201301:00", 1, 1),
        ("09:00\u201310:00", 2, 1),
        ("11:00\u201312:00", 1, 1),
        ("14:00\u201315:00", 1, 1),
        ("15:00\u201316:00", 2, 1),
        ("23:00\u201300:00", 1, 1),
    ]
    html = response.content.decode()
    assert "75%" in html
    assert "6 of 8 calls placed were answered" in html
    assert "2 min 21 s" in html
    assert '<tr class="busiest">' in html


def test_the_report_compares_the_period_with_the_previous_one_of_the_same_length(as_finance, usage):
    response = as_finance.get(reverse("report-usage"), APRIL)

    # 2 to 31 March holds one call of 30 s (1 min billed); April bills 17 min for 6 calls.
    comparison = response.context["comparison"]
    assert (comparison.previous_from, comparison.previous_to) == (
        date(2025, 3, 2),
        date(2025, 3, 31),
    )
    html = response.content.decode()
    assert "+1600% vs the previous 30 days" in html
    assert "+500% vs the previous 30 days" in html
    assert "1 min from 2–31 March 2025" in html  # noqa: RUF001 (an en dash)

    # May against April: 61 min billed against 17, but 2 calls against 6; a range after a quiet
    # one has nothing to compare with.
    may = as_finance.get(reverse("report-usage"), {"from": "2025-05-01", "to": "2025-05-30"})
    assert "+259% vs the previous 30 days" in may.content.decode()
    assert "-67% vs the previous 30 days" in may.content.decode()
    quiet = as_finance.get(reverse("report-usage"), {"from": "2025-03-02", "to": "2025-03-31"})
    assert "nothing in the previous 30 days to compare with" in quiet.content.decode()


def test_the_call_figures_match_the_export(as_finance, usage):
    page = as_finance.get(reverse("report-usage"), APRIL)
    export = as_finance.get(reverse("report-usage-csv"), APRIL)

    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    total = lines[-1]
    assert total[0] == "Total"
    calls, seconds = int(total[2]), int(total[3])
    assert page.context["outcomes"].answered == calls == 6
    assert page.context["average_talk"] == duration_display(round(seconds / calls))


def test_report_figures_are_grouped_by_thousands(as_finance, report_members):
    ended_call(report_members["li"], seconds=600_000, at=local(2025, 4, 10))  # 10,000 min

    html = as_finance.get(reverse("report-usage"), APRIL).content.decode()

    assert ">10,000<" in html
    assert "10,000 min" in html
