"""Every export speaks one language throughout, its reader's: in a Chinese session no English word
is left in a header or a cell of words (statuses, reasons, yes/no, actions, "no department"…), and
beside each column of words derived from a code sits that code, the same in every language, for
programs. Names, numbers and dates are data and stay as they are."""

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from calls.models import Call, CallOutcome
from recordings.models import Recording
from tests.members.reports_fixtures import *  # noqa: F403 - the fixtures, found by name

pytestmark = pytest.mark.django_db

APRIL = {"from": "2025-04-01", "to": "2025-04-30"}
# Every export: (URL name, its URL arguments, its query).
EXPORTS = {
    "calls-csv": ("call-export-csv", {}, {}),
    "calls-xlsx": ("call-export-xlsx", {}, {}),
    "report-calls-csv": ("report-calls-csv", {}, APRIL),
    "report-calls-xlsx": ("report-calls-xlsx", {}, APRIL),
    **{
        f"usage-{group_by}-{fmt}": (f"report-usage-{fmt}", {}, {**APRIL, "group_by": group_by})
        for group_by in ("member", "department", "day", "month")
        for fmt in ("csv", "xlsx")
    },
    "members-csv": ("member-export", {"fmt": "csv"}, {}),
    "members-xlsx": ("member-export", {"fmt": "xlsx"}, {}),
    "audit-csv": ("audit-log-csv", {}, {}),
}
# The code columns, by their English header: the same cells in every language.
CODE_COLUMNS = re.compile(r".* (code|id)|Call|Date \(YYYY-MM-DD\)|Month \(YYYY-MM\)")
ENGLISH = re.compile(r"[A-Za-z]")
with translation.override("zh-hans"):
    RECORDING_FAILED = str(Recording.Status.RECORDING_FAILED.label)


@pytest.fixture
def everything(usage, report_members, admin_client):
    """Calls of every kind of word: ended, failed with an operator's reason the portal has no
    words for, over the limit, recorded, with an outcome; and audit entries."""
    calls = list(Call.objects.order_by("created_at"))
    Call.objects.filter(pk=calls[1].pk).update(
        status=Call.Status.FAILED, reason="NetworkCongestion", over_limit=True
    )
    Call.objects.filter(pk=calls[2].pk).update(reason="CalleeBusy")
    Recording.objects.create(
        call=calls[1], operator_result="Fail", recorded_at=timezone.now(), status="recording_failed"
    )
    reached = CallOutcome.objects.create(code="reached_hq", name="Reached", name_zh_hans="已接通")
    Call.objects.filter(pk=calls[1].pk).update(outcome=reached, notes="周五再打")
    admin_client.post(reverse("member-suspend", kwargs={"pk": report_members["li"].pk}))
    return report_members


def _table(client, name: str, language: str) -> list[list[str]]:
    url_name, kwargs, query = EXPORTS[name]
    response = client.get(reverse(url_name, kwargs=kwargs), query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    if name.endswith("xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        rows = sheet.iter_rows(values_only=True)
        return [["" if value is None else str(value) for value in row] for row in rows]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _data(members) -> list[str]:
    """What the fixture's people typed: names, usernames; longest first, so none is cut."""
    names = [member.name for member in members.values()]
    names += ["Sales", "Support", "boss", "wang"]
    return sorted(names, key=len, reverse=True)


@pytest.mark.parametrize("name", EXPORTS)
def test_a_chinese_export_has_no_english_word_but_its_codes(admin_client, everything, name):
    english = _table(admin_client, name, "en")
    chinese = _table(admin_client, name, "zh-hans")

    header = english[0]
    codes = [index for index, title in enumerate(header) if CODE_COLUMNS.fullmatch(title)]
    assert not any(ENGLISH.search(title) for title in chinese[0]), chinese[0]
    data = _data(everything)
    for row in chinese[1:]:
        for index, cell in enumerate(row):
            if index in codes:
                continue
            for text in data:
                cell = cell.replace(text, "")
            assert not ENGLISH.search(cell), f"{header[index]}: {row[index]!r}"
    # The codes programs read are the same whatever the reader's language.
    assert len(chinese) == len(english)
    assert [[row[i] for i in codes] for row in chinese][1:] == [
        [row[i] for i in codes] for row in english
    ][1:]


@pytest.mark.parametrize(
    ("name", "words", "code", "expected"),
    [
        ("calls-csv", "状态", "状态代码", {("已结束", "ended"), ("失败", "failed")}),
        ("calls-csv", "原因", "原因代码", {("其他（见代码列）", "NetworkCongestion")}),
        ("report-calls-csv", "原因", "原因代码", {("被叫忙线", "CalleeBusy")}),
        ("calls-csv", "录音", "录音状态代码", {(RECORDING_FAILED, "recording_failed")}),
        ("calls-csv", "通话结果", "通话结果代码", {("已接通", "reached_hq")}),
        ("members-csv", "状态", "状态代码", {("已停用", "suspended")}),
        ("audit-csv", "操作", "操作代码", {("修改", "update")}),
    ],
)
def test_each_code_column_sits_beside_its_words(
    admin_client, everything, name, words, code, expected
):
    header, *rows = _table(admin_client, name, "zh-hans")

    pairs = {(row[header.index(words)], row[header.index(code)]) for row in rows}

    assert pairs >= expected
    assert header.index(code) == header.index(words) + 1


def test_the_usage_by_department_names_no_department_in_words(admin_client, everything):
    _, *rows = _table(admin_client, "usage-department-csv", "zh-hans")

    labels = [row[0] for row in rows]

    assert "无部门" in labels and labels[-1] == "合计"
