"""The journeys of each role, in Chromium, in both languages, on a desktop and on a phone: an
admin adds a member and sets the pool, finance exports a report, and someone who is not the
owner gets 404 for a call.

The words to find on the page come from the portal's own catalogue (`t`), so each journey runs
unchanged in English and in Chinese; the browser's language picks which.
"""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import translation
from playwright.sync_api import expect

from members.models import Member, MinutePool
from members.pool.services import pool_current
from tests.browser.conftest import BROWSER_LOCALES, log_in, nav_link, opened_page, screenshot
from tests.browser.test_admin_daily_work import Visit
from tests.members.reports_fixtures import ended_call, local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=BROWSER_LOCALES)
def language(request) -> str:
    return request.param


@pytest.fixture(params=["desktop", "phone"])
def screen(request) -> str:
    return request.param


@pytest.fixture
def page(browser, language, screen):
    with opened_page(browser, language=language, phone=screen == "phone") as page:
        yield page


@pytest.fixture
def t(language):
    """The portal's words in the journey's language."""

    def translate(message: str, context: str | None = None) -> str:
        with translation.override(language):
            return (
                translation.pgettext(context, message) if context else translation.gettext(message)
            )

    return translate


def test_an_admin_adds_a_member_and_sets_the_pool(
    page, live_server, admin_user, employee, language, screen, t
):
    log_in(page, live_server, "boss", "pw-boss-123")

    nav_link(page, t("Members")).click()
    add = page.locator("#add")
    add.get_by_role("textbox", name=t("Name"), exact=True).fill("Chen Jing")
    add.get_by_role("textbox", name=t("Number"), exact=True).fill("139 1234 5674")
    add.get_by_role("textbox", name=re.compile("^" + t("Portal user"))).fill("wang")
    add.get_by_role("button", name=t("Add member")).click()

    row = page.locator("table.members tr", has_text="Chen Jing")
    expect(row).to_contain_text("139 1234 5674")
    member = Member.objects.get(name="Chen Jing")
    assert (member.phone_number, member.user) == ("+8613912345674", employee)
    screenshot(page, f"{language}-{screen}-admin-members")

    nav_link(page, t("Minute pool")).click()
    page.get_by_label(t("Minutes allotted")).fill("12000")
    page.get_by_role("button", name=t("Save")).click()

    # The allotment is shown grouped in both languages (issue 18): "12,000", not "12000".
    balance = t("<strong>%(used)s of %(total)s minutes</strong> used in %(month)s")
    words = re.sub(r"<[^>]+>", "", balance) % {"used": 0, "total": "12,000", "month": ""}
    expect(page.locator(".balance-text")).to_contain_text(words.strip())
    assert MinutePool.objects.get(pk=pool_current().pk).minutes_allotted == 12000
    screenshot(page, f"{language}-{screen}-admin-pool")


def test_finance_exports_the_usage_report(
    page, live_server, django_user_model, language, screen, t
):
    finance = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    finance.groups.add(Group.objects.get(name="Finance"))
    member = Member.objects.create(name="Wang Fang", phone_number="+8613912345673")
    today = local(*pool_current().period_start.timetuple()[:3])
    ended_call(member, seconds=61, at=today, callee="+8613800008653")

    log_in(page, live_server, "zhou", "pw-zhou-123")

    expect(page.get_by_role("heading", level=1)).to_have_text(t("Usage report"))
    # The by-member table, named by its caption; the "calls by hour" table now comes before it.
    caption = t("By member, %(range)s. Click a figure to see the calls behind it.")
    before_range, after_range = caption.split("%(range)s")
    by_member = page.get_by_role(
        "table", name=re.compile(f"^{re.escape(before_range)}.+{re.escape(after_range)}$")
    )
    expect(by_member).to_contain_text("Wang Fang")
    screenshot(page, f"{language}-{screen}-finance-usage")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").first.click()
    rows = list(csv.reader(io.StringIO(download_info.value.path().read_text("utf-8-sig"))))

    # 61 s of talk bills 2 minutes under the default per-started-minute rule (the member's row:
    # name, its id for programs, then the figures).
    assert ["Wang Fang", str(member.pk), "1", "61", "2.00"] in rows
    # In the reader's language, as the page (the key column beside the names is for programs).
    assert rows[0][2:] == [t("Calls"), t("Talk time (seconds)"), t("Billed minutes")]

    # The calls behind the figure: the callee's number is masked for finance; each row leads
    # to the call's page, to read, masked too, with nothing to act on.
    page.get_by_role("link", name=re.compile("Wang Fang")).first.click()
    expect(page.locator("table.calls")).to_contain_text("138****8653")
    expect(page.locator("table.calls")).to_contain_text(t("hung up"))  # not the code HangUp
    screenshot(page, f"{language}-{screen}-finance-calls-behind")
    page.locator("table.calls a").first.click()
    expect(page.locator("main")).to_contain_text("138****8653")
    expect(page.get_by_role("button", name=t("Hang up"))).to_have_count(0)
    screenshot(page, f"{language}-{screen}-finance-call-page")


def test_an_admin_edits_members_in_a_spreadsheet_and_imports_them_back(
    page, live_server, admin_user, member, language, screen, t, tmp_path
):
    """Export (XLSX, CSV), import back: nothing changes; change one cell, import: only that
    member changes. The preview says what each row does before anything is written."""
    Member.objects.create(name="Li Na", phone_number="+8613912340000", minutes_cap=300)
    before = _members_as_stored()
    visit = Visit(language, phone=screen == "phone")
    log_in(page, live_server, "boss", "pw-boss-123")
    nav_link(page, t("Members")).click()
    visit.check(page, "admin-members-before-import")

    def preview(path, *, expected: dict[str, str]):
        page.locator("nav.subnav").get_by_role("link", name=t("Import"), exact=True).click()
        page.locator("input[type=file]").set_input_files(str(path))
        page.get_by_role("button", name=t("Preview")).click()
        rows = page.locator("table.preview tbody tr")
        expect(rows).to_have_count(len(expected))
        for name, change in expected.items():
            expect(rows.filter(has_text=name)).to_contain_text(change)

    # The XLSX export, imported back as it is: every row unchanged, and nothing is.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="XLSX", exact=True).click()
    exported_xlsx = tmp_path / "members.xlsx"
    download_info.value.save_as(exported_xlsx)
    preview(exported_xlsx, expected={"Wang Fang": t("No change"), "Li Na": t("No change")})
    visit.check(page, "admin-import-preview-unchanged")
    page.get_by_role("button", name=t("Import"), exact=True).click()
    expect(page.locator(".messages")).to_be_visible()
    assert _members_as_stored() == before

    # The CSV export, one cell changed: only that member is updated.
    nav_link(page, t("Members")).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").first.click()
    exported = download_info.value.path().read_text("utf-8-sig")
    edited = tmp_path / "members.csv"
    edited.write_text(exported.replace("Li Na,", "Li Na (Sales),"), encoding="utf-8")
    updates_name = t("Updates %(columns)s") % {"columns": t("Name")}
    preview(edited, expected={"Li Na (Sales)": updates_name, "Wang Fang": t("No change")})
    visit.check(page, "admin-import-preview")
    screenshot(page, f"{language}-{screen}-admin-import-preview")
    page.get_by_role("button", name=t("Import"), exact=True).click()

    expect(page.locator(".messages")).to_be_visible()
    after = _members_as_stored()
    assert after.pop("+8613912340000") == {**before.pop("+8613912340000"), "name": "Li Na (Sales)"}
    assert after == before
    assert not visit.findings, visit.report()


def _members_as_stored() -> dict[str, dict]:
    """Every member by number, with what an import may change."""
    return {
        row.pop("phone_number"): row
        for row in Member.objects.values(
            "phone_number", "name", "department_id", "status", "minutes_cap", "user_id"
        )
    }


def test_an_outsider_gets_404_for_someone_elses_call(page, live_server, member, teammate):
    call = ended_call(member, seconds=20, at=local(2026, 11, 2))
    log_in(page, live_server, "li", "pw-li-123")

    response = page.goto(f"{live_server.url}/calls/{call.pk}/")

    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(member.phone_number)
    expect(page.locator("body")).not_to_contain_text("Wang")
