"""The contacts page as an employee uses it, in Chromium, in both languages, on a desktop and on
a 390 px phone: a failed add shows its error next to the field, which takes the focus; the pages
of a long list follow each other; several contacts are deleted at once, after a confirmation; a
CSV file or a workbook is imported after its preview.

The words to find come from the portal's own catalogue (`t`), so the test runs unchanged in
English and in Chinese; the browser's language picks which.
"""

import io

import pytest
from django.utils import translation
from openpyxl import Workbook
from playwright.sync_api import expect

from calls.models import Contact
from tests.browser.conftest import BROWSER_LOCALES, log_in, opened_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP_WIDE = {"width": 1280, "height": 800}
OWN_NUMBER_REFUSED = (
    "This is your own member number: the portal rings it first on every call, so it cannot also "
    "be the contact. Enter the number of the person you want to call."
)


@pytest.fixture(params=BROWSER_LOCALES)
def language(request) -> str:
    return request.param


@pytest.fixture(params=["desktop", "phone"])
def screen(request) -> str:
    return request.param


@pytest.fixture
def page(browser, language, screen):
    with opened_page(browser, language=language, phone=screen == "phone") as page:
        if screen == "desktop":
            page.set_viewport_size(DESKTOP_WIDE)
        yield page


@pytest.fixture
def t(language):
    """The portal's words in the test's language."""

    def translate(message: str, **values: object) -> str:
        with translation.override(language):
            text = translation.gettext(message)
        return text % values if values else text

    return translate


@pytest.fixture
def two_pages(employee, monkeypatch) -> None:
    """Pages of 8 (50 in the portal: the same code, a shorter test), here 8 then 5; one number
    both private and shared (a duplicate)."""
    monkeypatch.setattr("calls.contact_selectors.CONTACTS_PAGE_SIZE", 8)
    Contact.objects.bulk_create(
        Contact(owner=employee, name=f"Contact {n:03d}", phone_number=f"+86138000{n:05d}")
        for n in range(1, 13)
    )
    Contact.objects.create(owner=None, name="Contact 000 desk", phone_number="+8613800000001")


def test_add_page_and_bulk_delete(page, live_server, member, two_pages, language, screen, t):
    log_in(page, live_server, "wang", "pw-wang-123")
    page.goto(f"{live_server.url}/contacts/")
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(8)
    expect(page.locator(".badge-duplicate")).to_have_count(2)
    no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_overflow), "the page scrolls sideways"
    screenshot(page, f"{language}-{screen}-employee-contacts-paged")

    # Adding the caller's own number: refused, the error next to the field, which has the focus.
    page.locator("#add-contact > summary").click()
    page.locator("#add-name").fill("Me")
    page.locator("#add-phone_number").fill("139 1234 5673")
    page.locator("#add-contact button[type=submit]").click()
    number = page.locator("#add-phone_number")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    error = page.locator("#add-phone_number_error")
    expect(error).to_be_in_viewport()
    expect(error).to_have_text(t(OWN_NUMBER_REFUSED))
    assert number.get_attribute("aria-describedby") == "add-phone_number_error"
    screenshot(page, f"{language}-{screen}-employee-contacts-add-error")

    # The next page, then back.
    page.get_by_role("link", name=t("Next →")).click()
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Contact 008")
    page.get_by_role("link", name=t("← Previous")).click()
    expect(rows).to_have_count(8)
    expect(rows.first).to_contain_text("Contact 000 desk")

    # Two ticked, one button, a page to confirm, then both gone.
    for name in ("Contact 002", "Contact 003"):
        page.get_by_role("checkbox", name=t("Select %(name)s", name=name)).check()
    page.get_by_role("button", name=t("Delete selected…")).click()
    confirm = page.locator("main form.contact-delete-actions button[type=submit]")
    expect(page.locator(".contact-delete-list li")).to_have_count(2)
    assert Contact.objects.count() == 13  # nothing deleted before the confirmation
    screenshot(page, f"{language}-{screen}-employee-contacts-delete-confirm")
    confirm.click()
    expect(page.locator("table.contacts")).to_be_visible()
    assert not Contact.objects.filter(name__in=["Contact 002", "Contact 003"]).exists()
    assert Contact.objects.count() == 11


def test_import_a_file_after_its_preview(page, live_server, member, language, screen, t):
    """A CSV file, and on a desktop an Excel workbook too: the preview shows every row, the
    numbers in the one on-screen format, and the row in error beside its problem; nothing is
    written until the corrected file is imported."""
    log_in(page, live_server, "wang", "pw-wang-123")
    for number, kind in enumerate(["csv", "xlsx"] if screen == "desktop" else ["csv"]):
        _import_after_preview(page, live_server, language, screen, t, kind, callee_digit=number)
    assert Contact.objects.filter(owner=member.user).count() == (2 if screen == "desktop" else 1)


def _import_after_preview(page, live_server, language, screen, t, kind, *, callee_digit):
    callee = f"+861380000000{callee_digit}"
    rows = [
        ["name", "phone_number", "company", "notes"],
        [f"Liu Yang {kind}", callee, "Acme", ""],
        ["Zhao Lei", "not a number", "", ""],
    ]
    before = Contact.objects.count()
    page.goto(f"{live_server.url}/contacts/import/")
    page.locator("input[type=file]").set_input_files(_table_file(rows, kind))
    page.get_by_role("button", name=t("Preview")).click()

    preview = page.locator("table.preview tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.first).to_contain_text(f"138 0000 000{callee_digit}")  # not E.164
    expect(preview.nth(1)).to_have_class("row-error")
    expect(page.locator("main .error[role=alert]")).to_be_visible()
    screenshot(page, f"{language}-{screen}-employee-contacts-import-{kind}-error")
    assert Contact.objects.count() == before

    # Corrected: the row in error left out, the file sent again, then imported.
    page.get_by_role("button", name=t("Start over")).click()
    page.locator("input[type=file]").set_input_files(_table_file(rows[:2], kind))
    page.get_by_role("button", name=t("Preview")).click()
    with translation.override(language):
        import_one = translation.ngettext(
            "Import %(counter)s contact", "Import %(counter)s contacts", 1
        ) % {"counter": 1}
    page.get_by_role("button", name=import_one).click()
    expect(page.locator("table.contacts")).to_contain_text(f"Liu Yang {kind}")
    imported = Contact.objects.get(name=f"Liu Yang {kind}")
    assert (imported.phone_number, imported.company) == (callee, "Acme")


def _table_file(rows: list[list[str]], kind: str) -> dict:
    """The rows as the file a person uploads: UTF-8 CSV, or an Excel workbook."""
    if kind == "csv":
        text = "\n".join(",".join(row) for row in rows) + "\n"
        return {"name": "contacts.csv", "mimeType": "text/csv", "buffer": text.encode()}
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return {
        "name": "contacts.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": data.getvalue(),
    }
