"""CSV and XLSX exports of the usage report and of the calls behind it: the same figures as the
page, streamed, masked for finance, and safe to open in a spreadsheet."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse

from clicktodial_portal.exports import spreadsheet_safe
from members.models import Member
from tests.members.reports_fixtures import *  # noqa: F403 - the fixtures, found by name
from tests.members.reports_fixtures import ended_call, local, made_between

pytestmark = pytest.mark.django_db

APRIL = {"from": "2025-04-01", "to": "2025-04-30"}
CALL_HEADER = [
    "Call",
    "Date and time",
    "Member",
    "Department",
    "Caller",
    "Callee",
    "Status",
    "Status code",
    "Reason",
    "Reason code",
    "Seconds",
    "Billed minutes",
    "Over the limit",
]

KEY_HEADERS = {
    "member": "Member id",
    "department": "Department id",
    "day": "Date (YYYY-MM-DD)",
    "month": "Month (YYYY-MM)",
}
FIGURE_HEADERS = ("Calls", "Talk time (seconds)", "Billed minutes")


@pytest.fixture
def as_finance(client, finance_user):
    client.force_login(finance_user)
    return client


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def read_xlsx(response) -> list[tuple]:
    assert isinstance(response, FileResponse)
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(values_only=True))


def page_table(client, query: dict) -> list[list[str]]:
    """The report page's table as text: its rows, then the total."""
    context = client.get(reverse("report-usage"), query).context
    rows = [[r["label"], str(r["calls"]), r["billed_minutes"]] for r in context["rows"]]
    total = context["total"]
    return [*rows, ["Total", str(total["calls"]), total["billed_minutes"]]]


def _minutes(text: str) -> str:
    """ "2.00" → "2", as the page writes it."""
    return f"{Decimal(text):.2f}".rstrip("0").rstrip(".")


# The usage report


@pytest.mark.parametrize("group_by", ["member", "department", "day", "month"])
def test_the_usage_csv_has_the_rows_and_total_of_the_page(as_finance, usage, group_by):
    query = {"group_by": group_by, "from": "2025-03-31", "to": "2025-05-20"}

    response = as_finance.get(reverse("report-usage-csv"), query)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="usage-{group_by}-2025-03-31-2025-05-20.csv"'
    )
    header, *rows = read_csv(response)
    assert header == [group_by.title(), KEY_HEADERS[group_by], *FIGURE_HEADERS]
    as_page = [[label, calls, _minutes(minutes)] for label, _, calls, _, minutes in rows]
    assert as_page == page_table(as_finance, query)


def test_the_usage_csv_total_is_the_sum_of_the_calls_made(as_admin, usage):
    _, *rows = read_csv(as_admin.get(reverse("report-usage-csv"), APRIL))

    in_april = made_between(usage, date(2025, 4, 1), date(2025, 4, 30))
    assert rows[-1] == [
        "Total",
        "",
        str(len(in_april)),
        str(sum(c.seconds for c in in_april)),
        f"{Decimal(sum(c.billed_seconds for c in in_april)) / 60:.2f}",
    ]


@pytest.mark.parametrize("group_by", ["member", "month"])
def test_the_usage_xlsx_opens_and_matches_the_page(as_finance, usage, group_by):
    query = {"group_by": group_by, "from": "2025-03-31", "to": "2025-05-20"}

    response = as_finance.get(reverse("report-usage-xlsx"), query)

    assert response["Content-Disposition"] == (
        f'attachment; filename="usage-{group_by}-2025-03-31-2025-05-20.xlsx"'
    )
    header, *rows = read_xlsx(response)
    assert header == (group_by.title(), KEY_HEADERS[group_by], *FIGURE_HEADERS)
    as_page = [[label, str(calls), _minutes(str(minutes))] for label, _, calls, _, minutes in rows]
    assert as_page == page_table(as_finance, query)
    assert all(isinstance(row[2], int) and isinstance(row[4], int | float) for row in rows)


def test_an_invalid_range_is_refused_with_the_reason(as_finance):
    response = as_finance.get(reverse("report-usage-csv"), {"from": "2025-05-01", "to": "2025-04"})

    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


# The calls behind a report


def test_the_calls_csv_streams_one_line_per_call_masked_for_finance(as_finance, usage):
    response = as_finance.get(reverse("report-calls-csv"), APRIL)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == (
        'attachment; filename="calls-2025-04-01-2025-04-30.csv"'
    )
    header, *rows = read_csv(as_finance.get(reverse("report-calls-csv"), APRIL))
    assert header == CALL_HEADER
    assert len(rows) == len(made_between(usage, date(2025, 4, 1), date(2025, 4, 30))) == 6
    assert rows[0][1:] == [
        "2025-04-01 00:05:00",
        "Wang Fang",
        "Sales",
        "+86 139****5673",
        "+86 138****0001",
        "Ended",
        "ended",
        "hung up",
        "HangUp",
        "61",
        "2.00",
        "No",
    ]
    assert [row[1][:10] for row in rows] == sorted(row[1][:10] for row in rows)
    assert not any("+8613" in cell for row in rows for cell in row)


def test_the_calls_csv_shows_admins_whole_numbers(as_admin, usage):
    _, first, *_ = read_csv(as_admin.get(reverse("report-calls-csv"), APRIL))

    assert first[4:6] == ["+8613912345673", "+8613800000001"]


def test_the_calls_csv_is_written_a_row_at_a_time(as_admin, usage):
    response = as_admin.get(reverse("report-calls-csv"), APRIL)

    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 6  # the header, then one chunk per call as it is read


def test_the_calls_csv_keeps_the_figure_filters_and_adds_up_to_the_figure(
    as_finance, usage, departments
):
    query = {**APRIL, "department": departments["support"].pk}
    figure = as_finance.get(reverse("report-calls"), query).context["total"]

    response = as_finance.get(reverse("report-calls-csv"), query)

    assert response["Content-Disposition"].endswith(
        f'filename="calls-department-{departments["support"].pk}-2025-04-01-2025-04-30.csv"'
    )
    _, *rows = read_csv(response)
    assert {row[2] for row in rows} == {"Li Na"}
    assert len(rows) == figure["calls"]
    assert _minutes(str(sum(Decimal(row[11]) for row in rows))) == figure["billed_minutes"]


def test_the_calls_xlsx_opens_and_matches_the_csv(as_finance, usage, report_members):
    query = {**APRIL, "member": report_members["wang"].pk}

    header, *rows = read_xlsx(as_finance.get(reverse("report-calls-xlsx"), query))
    _, *csv_rows = read_csv(as_finance.get(reverse("report-calls-csv"), query))

    assert list(header) == CALL_HEADER
    assert rows[0][1] == datetime(2025, 4, 1, 0, 5)  # local wall-clock time, as a real date
    assert [[str(v) if not isinstance(v, datetime) else "" for v in row][2:11] for row in rows] == [
        row[2:11] for row in csv_rows
    ]
    assert [Decimal(str(row[11])) for row in rows] == [Decimal(row[11]) for row in csv_rows]


# Spreadsheet safety


def test_names_that_look_like_formulas_stay_text(as_admin, report_members):
    Member.objects.filter(pk=report_members["chen"].pk).update(name='=HYPERLINK("http://x")')
    ended_call(report_members["chen"], seconds=30, at=local(2025, 4, 9))

    _, csv_row = read_csv(as_admin.get(reverse("report-calls-csv"), APRIL))
    response = as_admin.get(reverse("report-calls-xlsx"), APRIL)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    assert csv_row[2] == '\'=HYPERLINK("http://x")'
    assert sheet["C2"].data_type == "s"
    assert sheet["C2"].value == '=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("+8613912345673", "+8613912345673"),
        ("+86 139****5673", "+86 139****5673"),
        ("Wang Fang", "Wang Fang"),
    ],
)
def test_spreadsheet_safe(text, safe):
    assert spreadsheet_safe(text) == safe
