"""An admin's daily work, done in the portal on a 390 px phone, in each language, as a person
sees it: a login created and invited by e-mail, the invitation's link followed and a password
set, a new link sent when it is forgotten, a locked-out login unlocked, roles and pool alerts
changed, the recording rules listed; Django's admin refused to a staff admin with the portal's
own page, and read-only for a superuser where the calls, their events and the ledger are. axe-core
finds nothing on any page visited, and nothing sticks out of the phone's screen without a cue."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from calls.models import CallEvent
from members import roles
from members.models import Department, Member
from members.pool.alerts import pool_alert_recipients
from recordings.models import RecordingRule
from tests.browser.conftest import (
    BROWSER_LOCALES,
    axe_violations,
    log_in,
    nav_link,
    opened_page,
    screenshot,
)
from tests.members.reports_fixtures import ended_call, local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Elements reaching past the screen's right edge that are not inside a table region saying it
# scrolls (the portal's visible cue, static/js/portal.js), nor hidden: what a person cannot see.
OFF_SCREEN = """(phone) => {
  const width = document.documentElement.clientWidth;
  // Inside a region that scrolls sideways: a desktop browser draws its scroll bar (Playwright's
  // headless Chromium hides them), a phone's shows none, so there only the portal's cue counts.
  const scrollsSideways = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth) {
        return true;
      }
    }
    return false;
  };
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right <= width + 1) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || style.display === "none") continue;
    if (element.closest(".table-scroll.scrolls")) continue;
    if (!phone && scrollsSideways(element)) continue;
    if (element.closest(".visually-hidden, .skip-link")) continue;
    found.push(element.tagName.toLowerCase() + (element.className ? "." + element.className : "")
      + " (" + Math.round(box.right) + " px)");
  }
  if (document.documentElement.scrollWidth > width) found.push("the page scrolls sideways");
  return found.slice(0, 5);
}"""

# aria-describedby and aria-labelledby naming an id the page does not have (axe-core lets them
# pass when another id of the list exists): a help text or error a screen reader never reads.
DANGLING_IDS = """() => {
  const found = [];
  for (const element of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attribute of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (element.getAttribute(attribute) || "").split(/\\s+/).filter(Boolean)) {
        const what = element.name || element.id;
        if (!document.getElementById(id)) found.push(`${what}: ${attribute} ${id}`);
      }
    }
  }
  return found;
}"""

NEW_PASSWORD = "Harbour-lantern-2026"
RESET_PASSWORD = "Quiet-river-7431"


def words(language: str, message: str, context: str | None = None) -> str:
    with translation.override(language):
        return translation.pgettext(context, message) if context else translation.gettext(message)


class Visit:
    """The pages a test went through, each checked as it stood: axe-core's findings and what
    sticks out of the screen, kept to be asserted together at the end."""

    def __init__(self, language: str, *, phone: bool = True) -> None:
        self.language = language
        self.phone = phone
        self.findings: dict[str, list[str]] = {}

    def check(self, page, name: str) -> None:
        problems = (
            axe_violations(page)
            + [f"off-screen: {found}" for found in page.evaluate(OFF_SCREEN, self.phone)]
            + [f"no such id: {found}" for found in page.evaluate(DANGLING_IDS)]
        )
        if problems:
            self.findings[name] = problems
        screen = "phone" if self.phone else "desktop"
        screenshot(page, f"{self.language}-{screen}-{name}")

    def report(self) -> str:
        return "\n".join(
            f"{name}: {problem}" for name, problems in self.findings.items() for problem in problems
        )


@pytest.fixture
def chen(django_user_model):
    """The portal's usual admin: staff by the Admin role, not a superuser."""
    user = django_user_model.objects.create_user(
        username="chen", password="pw-chen-123", first_name="陈静", email="chen@example.com"
    )
    user.groups.add(Group.objects.get(name=roles.ADMIN))
    sales = Department.objects.create(name="Sales")
    RecordingRule.objects.create(scope="enterprise", record=True)
    RecordingRule.objects.create(scope="department", department=sales, record=False)
    return user


def _link_path(message) -> str:
    """The set-password link of a mail, as a path (the mail names the configured portal URL)."""
    return urlsplit(re.search(r"https?://\S+/accounts/set-password/\S+/", message.body)[0]).path


def _password_set(page, live_server, path: str, password: str, language: str) -> None:
    """The person opens the mailed link and sets a password; the login page says so."""
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name=words(language, "Set your password"))).to_be_visible()
    page.locator("input[name=new_password1]").fill(password)
    page.locator("input[name=new_password2]").fill(password)
    page.get_by_role("button", name=words(language, "Set password")).click()
    expect(page.locator(".messages")).to_contain_text(
        words(language, "Your password is set. Log in with it.")
    )


@pytest.mark.parametrize("language", BROWSER_LOCALES)
def test_an_admin_does_the_days_work_in_the_portal(
    browser, live_server, chen, django_user_model, language
):
    def t(message: str, context: str | None = None) -> str:
        return words(language, message, context)

    visit = Visit(language)
    with (
        opened_page(browser, language=language, phone=True) as page,
        opened_page(browser, language=language, phone=True) as newcomer,
    ):
        log_in(page, live_server, "chen", "pw-chen-123")
        nav_link(page, t("Members")).click()
        page.locator("nav.subnav").get_by_role("link", name=t("Users"), exact=True).click()
        expect(page.get_by_role("heading", name=t("Users"), exact=True)).to_be_visible()

        # A login, invited by e-mail.
        add = page.locator("#add form")
        add.get_by_role("textbox", name=t("Username")).fill("zhang.wei")
        add.get_by_role("textbox", name=t("Name"), exact=True).fill("张伟")
        add.get_by_role("textbox", name=t("E-mail")).fill("zhang.wei@example.com")
        add.get_by_role("checkbox", name=t("Employee", "role"), exact=True).check()
        expect(add.get_by_role("checkbox", name=t("Send an invitation by e-mail"))).to_be_checked()
        add.get_by_role("button", name=t("Add user")).click()
        expect(page.locator(".messages")).to_contain_text("zhang.wei@example.com")
        row = page.locator("table.users tr", has_text="zhang.wei")
        expect(row).to_contain_text(t("Invited"))
        visit.check(page, "admin-users-invited")
        (invitation,) = mail.outbox
        assert invitation.to == ["zhang.wei@example.com"]

        # The newcomer follows the link, sets a password and logs in with it.
        _password_set(newcomer, live_server, _link_path(invitation), NEW_PASSWORD, language)
        visit.check(newcomer, "newcomer-password-set")
        log_in(newcomer, live_server, "zhang.wei", NEW_PASSWORD)
        expect(newcomer.get_by_role("heading", name=t("Contacts"))).to_be_visible()
        newcomer.context.clear_cookies()

        # They forget it: the admin sends a new link from their page.
        row.get_by_role("link", name="zhang.wei").click()
        expect(page.get_by_role("heading", name="zhang.wei")).to_contain_text(
            t("Active", "a user's state")
        )
        page.get_by_role("button", name=t("Send a set-password link")).click()
        expect(page.locator(".messages")).to_contain_text("zhang.wei@example.com")
        _password_set(newcomer, live_server, _link_path(mail.outbox[-1]), RESET_PASSWORD, language)
        log_in(newcomer, live_server, "zhang.wei", RESET_PASSWORD)
        expect(newcomer.get_by_role("heading", name=t("Contacts"))).to_be_visible()
        newcomer.context.clear_cookies()

        # Too many wrong passwords lock them out, until the admin unlocks them.
        for _ in range(5):
            log_in(newcomer, live_server, "zhang.wei", "not-my-password")
        expect(newcomer.get_by_role("heading", name=t("Too many failed logins"))).to_be_visible()
        visit.check(newcomer, "newcomer-locked-out")
        page.reload()
        expect(page.get_by_role("heading", name="zhang.wei")).to_contain_text(t("Locked out"))
        page.get_by_role("button", name=t("Unlock")).click()
        expect(page.locator(".messages")).to_contain_text(
            t("%(username)s can log in again.") % {"username": "zhang.wei"}
        )
        log_in(newcomer, live_server, "zhang.wei", RESET_PASSWORD)
        expect(newcomer.get_by_role("heading", name=t("Contacts"))).to_be_visible()

        # Their role changes to Finance, and they receive the pool's alerts.
        page.reload()
        visit.check(page, "admin-user-edit")
        page.get_by_role("checkbox", name=t("Employee", "role"), exact=True).uncheck()
        page.get_by_role("checkbox", name=t("Finance", "role"), exact=True).check()
        page.get_by_role("checkbox", name=t("Receives pool alerts")).check()
        page.get_by_role("button", name=t("Save")).click()
        expect(page.locator(".messages")).to_contain_text(
            t("%(username)s was saved.") % {"username": "zhang.wei"}
        )
        expect(row).to_contain_text(t("Finance", "role"))
        expect(row).not_to_contain_text(t("Employee", "role"))
        expect(row.locator("td").last).to_have_text(t("Yes"))
        zhang = django_user_model.objects.get(username="zhang.wei")
        assert {group.name for group in zhang.groups.all()} == {roles.FINANCE}
        assert "zhang.wei@example.com" in pool_alert_recipients()
        visit.check(page, "admin-users-roles-changed")

        # The recording rules, listed.
        page.locator("nav.subnav").get_by_role("link", name=t("Recording rules")).click()
        rules = page.locator("table.rules tbody tr")
        expect(rules).to_have_count(2)
        expect(rules.first).to_contain_text(t("The whole enterprise"))
        visit.check(page, "admin-recording-rules")

        # Django's admin is not theirs: the portal's 403, in their language, with a way on.
        response = page.goto(f"{live_server.url}/admin/")
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text(t("You may not open this page"))
        expect(page.get_by_role("link", name=t("Go to the start page"))).to_be_visible()
        expect(nav_link(page, t("Members"))).to_be_visible()
        visit.check(page, "admin-django-admin-refused")

    assert not visit.findings, visit.report()


@pytest.mark.parametrize("language", BROWSER_LOCALES)
def test_a_superuser_reads_calls_events_and_the_ledger_in_djangos_admin(
    browser, live_server, admin_user, language
):
    member = Member.objects.create(name="Wang Fang", phone_number="+8613912345673")
    call = ended_call(member, seconds=61, at=local(2026, 11, 2))
    CallEvent.objects.create(
        call=call, callidentifier="cid-1", body="{}", status="Disconnected", reason="HangUp"
    )
    visit = Visit(language, phone=False)
    with opened_page(browser, language=language) as page:
        log_in(page, live_server, "boss", "pw-boss-123")
        for path in ("calls/call", "calls/callevent", "members/usageentry"):
            response = page.goto(f"{live_server.url}/admin/{path}/")
            assert response.status == 200, path
            expect(page.locator("#result_list tbody tr")).to_have_count(1)
            expect(page.locator("#content .object-tools a")).to_have_count(0)
            expect(page.locator("select[name=action] option[value=delete_selected]")).to_have_count(
                0
            )
            visit.check(page, f"superuser-admin-{path.replace('/', '-')}")

        # A call's own page: to read, with its events, nothing to save or delete; none to add.
        page.goto(f"{live_server.url}/admin/calls/call/{call.pk}/change/")
        expect(page.locator("#content h1")).to_be_visible()
        expect(page.locator("input[name=_save], input[name=_continue]")).to_have_count(0)
        expect(page.locator("a.deletelink")).to_have_count(0)
        expect(page.locator("#content")).to_contain_text("Disconnected")  # its event, inline
        visit.check(page, "superuser-admin-call")
        for path in ("calls/call", "calls/callevent", "members/usageentry"):
            response = page.goto(f"{live_server.url}/admin/{path}/add/")
            assert response.status == 403, path

    assert not visit.findings, visit.report()
