"""When a page cannot be shown, on a 390 px phone in each language, as a person sees it: the
portal's own 400, 403, 404 and 500 pages in their language, with the menu and a way back; and a
form refused on a phone shows its error where the person is, on the field that has the focus.
axe-core finds nothing on these pages, and nothing sticks out of the screen without a cue."""

import re

import pytest
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from playwright.sync_api import expect

from members.models import Member
from tests.browser.conftest import BROWSER_LOCALES, log_in, nav_link, opened_page
from tests.browser.test_admin_daily_work import Visit, words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The portal's URLs and error handlers, and two pages that fail as a page may: this module is the
# URL configuration of the test below (ROOT_URLCONF), so the error handlers are the project's.
def _bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("a request the page cannot understand (a test's)")


def _server_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an error the page did not expect (a test's)")


urlpatterns = [
    path("test-errors/400/", _bad_request),
    path("test-errors/500/", _server_error),
    path("", include("clicktodial_portal.urls")),
]
handler400 = "clicktodial_portal.error_pages.bad_request"
handler403 = "clicktodial_portal.error_pages.permission_denied"
handler404 = "clicktodial_portal.error_pages.not_found"
handler500 = "clicktodial_portal.error_pages.server_error"


@pytest.mark.parametrize("language", BROWSER_LOCALES)
def test_error_pages_and_a_refused_form_on_a_phone(
    browser, live_server, settings, employee, admin_user, language
):
    settings.ROOT_URLCONF = __name__

    def t(message: str, context: str | None = None) -> str:
        return words(language, message, context)

    visit = Visit(language)
    with opened_page(browser, language=language, phone=True) as page:
        log_in(page, live_server, "wang", "pw-wang-123")
        explained = {
            400: "The request could not be understood",
            403: "You may not open this page",
            404: "Page not found",
            500: "Something went wrong",
        }
        for status, where in (
            (403, "/members/"),
            (404, "/no/such/page/"),
            (400, "/test-errors/400/"),
            (500, "/test-errors/500/"),
        ):
            response = page.goto(f"{live_server.url}{where}")
            assert response.status == status, where
            expect(page.get_by_role("heading", level=1)).to_have_text(t(explained[status]))
            expect(page.locator(".error-page")).to_contain_text(
                t("Error %(status)s") % {"status": status}
            )
            expect(nav_link(page, t("Contacts"))).to_be_visible()  # the menu, to go on from here
            expect(page.get_by_role("link", name=t("Go to the start page"))).to_be_visible()
            visit.check(page, f"error-{status}")
        page.get_by_role("link", name=t("Go to the start page")).click()
        expect(page.get_by_role("heading", name=t("Contacts"))).to_be_visible()

        # An export whose link carries a day past the supported range (edited, or an old
        # bookmark): refused whole with the reason, and a way back to the filters to correct it.
        response = page.goto(f"{live_server.url}/calls/export.csv?status=ended&to=9999-12-31")
        assert response.status == 400
        expect(page.get_by_role("heading", level=1)).to_have_text(t("The export could not be made"))
        refused = page.locator(".error-page .errorlist")
        expect(refused).to_contain_text("2100")
        expect(refused).to_contain_text(t("To", "last day"))
        visit.check(page, "export-refused")
        page.get_by_role("link", name=t("Back to the filters")).click()
        expect(page).to_have_url(re.compile(r"/calls/\?status=ended&to=9999-12-31$"))
        expect(page.locator("input[name=to]")).to_have_attribute("aria-invalid", "true")

    # An admin saves a member with a number that is none: the error is in view, on the field
    # that has the focus, and names it.
    member = Member.objects.create(name="Wang Fang", phone_number="+8613912345673")
    with opened_page(browser, language=language, phone=True) as page:
        log_in(page, live_server, "boss", "pw-boss-123")
        page.goto(f"{live_server.url}/members/{member.pk}/edit/")
        page.get_by_role("textbox", name=t("Number"), exact=True).fill("12345")
        page.get_by_role("button", name=t("Save"), exact=True).click()
        number = page.locator("input[name=phone_number]")
        error = page.locator(".field-error")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        expect(number).to_be_focused()
        visit.check(page, "admin-member-edit-error")

        # The same on the Users page, whose "Add a user" is at the bottom.
        page.goto(f"{live_server.url}/users/")
        add = page.locator("#add form")
        add.get_by_role("textbox", name=t("Username")).fill("zhang wei")
        add.get_by_role("button", name=t("Add user")).click()
        username = add.locator("input[name=username]")
        error = add.locator("#id_username_error")
        expect(error).to_be_in_viewport()
        expect(username).to_be_focused()
        expect(username).to_have_accessible_description(re.compile(re.escape(error.inner_text())))
        visit.check(page, "admin-users-add-error")
    member.refresh_from_db()
    assert member.phone_number == "+8613912345673"

    assert not visit.findings, visit.report()
