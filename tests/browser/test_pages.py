"""Every main page, for the role that uses it, in both languages on a 390 px wide phone: nothing
pushes the page sideways, every control has a name a screen reader can read, axe-core (WCAG 2.1
A/AA) finds nothing, on a phone and on a desktop, and a screenshot of each is kept
(var/test-artifacts/screenshots) for a person to look at. No page, nor Django's admin and the
API's docs, breaks the Content-Security-Policy (the browser reports no violation)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import Call, Contact
from members import services
from members.models import Department, Member
from members.pool import ledger
from tests.browser.conftest import (
    BROWSER_LOCALES,
    PHONE,
    axe_violations,
    log_in,
    opened_page,
    screenshot,
)
from tests.recordings.conftest import ended_call, stored_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chinese characters: a page in Chinese has them in its heading, whatever the data.
CJK = re.compile(r"[\u4e00-\u9fff]")

# Each visible control with no accessible name: no <label>, aria-label(ledby) or title.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href], progress, audio')]
  .filter(el => el.getClientRects().length > 0)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !el.title
    && !(['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim())
    && !(el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type) && el.value))
  .map(el => el.outerHTML.slice(0, 120))"""

# Each visible piece of text whose contrast with its background is under WCAG AA: 4.5:1, or 3:1
# for large text (24 px, or 18.66 px bold). The background is the first opaque one behind it.
LOW_CONTRAST = """() => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0.9) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const texts = [...document.querySelectorAll('body *')].filter(el =>
    [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
    && el.getClientRects().length > 0 && !el.closest('.skip-link, option, svg, audio'));
  return texts.flatMap(el => {
    const style = getComputedStyle(el);
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    return ratio < needed ? [`${ratio.toFixed(2)}: ${el.outerHTML.slice(0, 100)}`] : [];
  });
}"""

# Each violation of the Content-Security-Policy the browser reports, kept on the window: set up
# before any of the page's own scripts run (Playwright's init scripts are not subject to it).
CSP_WATCH = """document.addEventListener('securitypolicyviolation', e => {
  (window.__cspViolations = window.__cspViolations || []).push(
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
    + (e.sample ? ` (${e.sample})` : ''));
});"""


def csp_watched(page):
    page.add_init_script(CSP_WATCH)
    return page


def csp_violations(page) -> list[str]:
    """What the page has reported so far: its loading, htmx's swaps and polls since."""
    return page.evaluate("() => window.__cspViolations || []")


PAGES = {
    # The last two: a page that is not there (404), one the role may not open (403).
    "employee": [
        "/contacts/",
        "/calls/",
        "/calls/{call}/",
        "/recordings/",
        "/pool/",
        "/no/such/page/",
        "/members/",
    ],
    "admin": [
        "/dashboard/",
        "/members/",
        "/members/{member}/edit/",
        "/members/import/",
        "/members/departments/",
        "/members/business-numbers/",
        "/members/audit/",
        "/pool/",
        "/reports/usage/",
        "/reports/pools/",
        "/calls/",
        "/calls/outcomes/",
        "/contacts/import/",
        "/users/",
        "/recordings/",
        "/recordings/rules/",
    ],
    "finance": [
        "/reports/usage/",
        "/reports/calls/?member={member}",
        "/calls/{call}/",  # a call behind a report: to read, numbers masked
        "/reports/pools/",
        "/no/such/page/",
    ],
}
LOGINS = {
    "employee": ("wang", "pw-wang-123"),
    "admin": ("boss", "pw-boss-123"),
    "finance": ("zhou", "pw-zhou-123"),
}


@pytest.fixture
def portal(employee, admin_user, django_user_model) -> dict[str, int]:
    """A portal with something on every page: a department, a member with calls, a recording,
    a live call, contacts, finance."""
    finance = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    finance.groups.add(Group.objects.get(name="Finance"))
    sales = services.department_save(actor=admin_user, name="Sales")
    member = services.member_create(
        actor=admin_user,
        name="Wang Fang",
        phone_number="+8613912345673",
        department=sales,
        user=employee,
    )
    Contact.objects.create(
        owner=employee, name="Li Wei", phone_number="+8613800000001", notes="Desk tel:+861052680099"
    )
    Contact.objects.create(owner=None, name="Reception", phone_number="+861052680099")
    call = ended_call(member)
    ledger.usage_record(call=call)
    stored_recording(call)
    ended_call(
        member,
        status=Call.Status.FAILED,
        reason="CalleeBusy",
        callee="+8613800000002",
        duration_seconds=None,
        connected_at=None,
        recording_result="",
    )
    Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000006",
        callee_name="Liu Yang",
        status=Call.Status.CONNECTED,
        connected_at=timezone.now() - timedelta(seconds=42),
    )
    assert Department.objects.count() == 1 and Member.objects.count() == 1
    return {"call": call.pk, "member": member.pk}


@pytest.fixture(params=BROWSER_LOCALES)
def language(request) -> str:
    return request.param


@pytest.mark.parametrize("role", PAGES)
def test_each_page_on_a_phone_in_each_language(browser, live_server, portal, role, language):
    problems = []
    # The browser's language decides: the user has chosen none.
    with opened_page(browser, language=language, phone=True) as page:
        csp_watched(page)
        log_in(page, live_server, *LOGINS[role])
        for path in PAGES[role]:
            page.goto(live_server.url + path.format(**portal))
            expect(page.locator("html")).to_have_attribute("lang", language)
            where = f"{role} {path} ({language})"

            # Against the phone's width, not innerWidth: a mobile browser widens its layout
            # viewport to fit content that overflows, and innerWidth would follow it.
            overflow = page.evaluate("() => document.documentElement.scrollWidth") - PHONE["width"]
            if overflow > 0:
                problems.append(f"{where} scrolls {overflow} px sideways")
            if unnamed := page.evaluate(UNNAMED_CONTROLS):
                problems.append(f"{where} has unnamed controls: {unnamed}")
            if faint := page.evaluate(LOW_CONTRAST):
                problems.append(f"{where} has text of too little contrast: {faint}")
            if violations := axe_violations(page):
                problems.append(f"{where}: axe-core finds " + " | ".join(violations))
            heading = page.locator("h1").first.inner_text()
            if language == "zh-hans" and not CJK.search(heading):
                problems.append(f"{where}: heading {heading!r} is not in Chinese")
            if blocked := csp_violations(page):
                problems.append(f"{where} breaks the Content-Security-Policy: {blocked}")

            slug = re.sub(r"[^a-z0-9]+", "-", path).strip("-")
            screenshot(page, f"{language}-phone-{role}-{slug}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", PAGES)
def test_each_page_on_a_desktop_in_each_language(browser, live_server, portal, role, language):
    """The same pages in a desktop window, where the charts, tables and menu are drawn their
    wide way: axe-core finds nothing there either."""
    problems = []
    with opened_page(browser, language=language) as page:
        csp_watched(page)
        log_in(page, live_server, *LOGINS[role])
        for path in PAGES[role]:
            page.goto(live_server.url + path.format(**portal))
            if violations := axe_violations(page):
                problems.append(f"{role} {path} ({language}): " + " | ".join(violations))
            if blocked := csp_violations(page):
                problems.append(f"{role} {path} ({language}) breaks the CSP: {blocked}")
            slug = re.sub(r"[^a-z0-9]+", "-", path).strip("-")
            screenshot(page, f"{language}-desktop-{role}-{slug}")
    assert not problems, "\n".join(problems)


def test_the_login_page_on_a_phone(browser, live_server, language):
    with opened_page(browser, language=language, phone=True) as page:
        csp_watched(page)
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.evaluate(UNNAMED_CONTROLS) == []
        assert csp_violations(page) == []
        screenshot(page, f"{language}-phone-login")


def test_the_keyboard_skips_the_navigation(page, live_server, employee):
    log_in(page, live_server, "wang", "pw-wang-123")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#content"


def test_the_admin_site_and_the_api_docs_keep_to_the_content_security_policy(
    browser, live_server, portal, admin_user
):
    """The pages outside the portal's own templates, for the superuser: Django's admin (its list,
    change form with its widgets' scripts) and Swagger UI (drawn by its script), and htmx's live
    updates (idiomorph) on the pages that poll, watched for a few polls."""
    problems = []
    with opened_page(browser) as page:
        csp_watched(page)
        log_in(page, live_server, *LOGINS["admin"])
        pages = [
            ("/admin/", "#content"),
            ("/admin/auth/user/", "#result_list"),
            (f"/admin/auth/user/{admin_user.pk}/change/", "#user_form"),
            ("/admin/auth/group/add/", "#group_form"),
            ("/api/docs/", ".swagger-ui .opblock"),
            ("/api/v1/", "main, body"),
        ]
        for path, drawn in pages:
            page.goto(live_server.url + path)
            expect(page.locator(drawn).first).to_be_visible()
            if blocked := csp_violations(page):
                problems.append(f"{path} breaks the Content-Security-Policy: {blocked}")
        # Two live pages, through a few of their polls and morphs.
        for path in ("/dashboard/", "/calls/{call}/".format(**portal)):
            page.goto(live_server.url + path)
            page.wait_for_timeout(2500)
            if blocked := csp_violations(page):
                problems.append(f"{path} breaks the Content-Security-Policy: {blocked}")
    assert not problems, "\n".join(problems)


def test_removing_a_member_asks_first(browser, live_server, portal):
    """The question once asked by an inline onsubmit, now by static/js/portal.js (data-confirm):
    declined, nothing happens; accepted, the member is removed."""
    with opened_page(browser) as page:
        csp_watched(page)
        log_in(page, live_server, *LOGINS["admin"])
        page.goto(f"{live_server.url}/members/")
        questions = []

        def answer(dialog, accept: bool) -> None:
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        remove = page.locator("form[data-confirm] button[type=submit]").first
        page.once("dialog", lambda dialog: answer(dialog, accept=False))
        remove.click()
        page.wait_for_timeout(300)
        assert Member.objects.get(pk=portal["member"]).status == "active"
        page.once("dialog", lambda dialog: answer(dialog, accept=True))
        remove.click()
        page.wait_for_load_state()
        expect(page.locator(".messages")).to_be_visible()
        assert Member.objects.get(pk=portal["member"]).status == "removed"
        assert len(questions) == 2 and "Remove Wang Fang?" in questions[0]
        assert csp_violations(page) == []
