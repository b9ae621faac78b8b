"""On a 390 px phone, each role's main pages in both languages keep everything a person needs on
screen: nothing wider than the phone unless it sits in a scroll region that says so and that a
keyboard can reach, the menu folds behind a button that opens it, a button's words stay on one
line, chart text is drawn at 11 px or more and the dashboard's chart shows the latest day."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from playwright.sync_api import expect

from calls.models import Call, Contact
from members import services
from members.pool import ledger
from tests.browser.conftest import PHONE, log_in, opened_page, screenshot
from tests.recordings.conftest import ended_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "employee": ["/contacts/", "/calls/", "/recordings/", "/pool/"],
    "admin": [
        "/dashboard/",
        "/contacts/",
        "/calls/",
        "/members/",
        "/members/audit/",
        "/reports/usage/",
        "/reports/usage/?group_by=day",
        "/reports/pools/",
    ],
    "finance": ["/reports/usage/", "/reports/calls/?member={member}", "/reports/pools/"],
}
LOGINS = {
    "employee": ("wang", "pw-wang-123"),
    "admin": ("boss", "pw-boss-123"),
    "finance": ("zhou", "pw-zhou-123"),
}
# The narrowest a chart's text may be drawn, in CSS pixels.
CHART_TEXT_MIN_PX = 11

# What a person on the phone would miss, in one pass over the page:
# - `wide`: elements reaching past the viewport's edges, other than inside a scroll region
#   marked for the keyboard (tabindex=0 and a name) with its visible hint;
# - `unmarked`: regions that scroll sideways without that mark or hint;
# - `broken`: buttons whose words wrap onto a second line;
# - `small`: chart text drawn under the minimum, `cut`: chart text outside its drawing,
#   `overlap`: a chart's labels drawn over each other.
PAGE_PROBLEMS = """([width, minimum]) => {
  // Drawn, and not inside something clipped to nothing (a table's header kept for screen
  // readers only, say).
  const all = [...document.querySelectorAll('body *')];
  const clipped = all.filter(el => getComputedStyle(el).clip.startsWith('rect'));
  const visible = el => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden' && !clipped.some(c => c.contains(el));
  const describe = el => el.outerHTML.slice(0, 90);
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
    && el.scrollWidth > el.clientWidth + 1;
  const marked = el => el.tabIndex === 0 && el.getAttribute('aria-label')
    && getComputedStyle(el, '::before').content.length > 2;
  const regions = all.filter(el => el.closest('main') && scrolls(el) && visible(el));
  const unmarked = regions.filter(el => !marked(el)).map(describe);
  const wide = all
    .filter(el => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
    })
    .filter(el => visible(el) && !el.closest('.skip-link, .visually-hidden, svg *'))
    .filter(el => !regions.some(region => region !== el && region.contains(el) && marked(region)))
    .map(describe);
  const lines = el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter(r => r.width > 0)
      .map(r => Math.round(r.top + r.height / 2))).size;
  };
  const broken = [...document.querySelectorAll('button:not(.link), a.button')]
    .filter(el => visible(el) && el.textContent.trim() && lines(el) > 1).map(describe);
  const texts = [...document.querySelectorAll('svg.chart text')].filter(visible);
  const small = texts.map(t => {
    const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
    return [size, t.textContent];
  }).filter(([size]) => size < minimum).map(([size, text]) => `${size.toFixed(1)} px: ${text}`);
  const cut = texts.filter(t => {
    const [box, chart] = [t.getBoundingClientRect(), t.closest('svg').getBoundingClientRect()];
    return box.left < chart.left - 1 || box.right > chart.right + 1;
  }).map(t => t.textContent);
  const overlap = [];
  document.querySelectorAll('svg.chart').forEach(svg => {
    const boxes = [...svg.querySelectorAll('.chart-label')].filter(visible)
      .map(t => [t.textContent, t.getBoundingClientRect()]);
    boxes.forEach(([text, box], i) => boxes.slice(i + 1).forEach(([other, next]) => {
      if (box.left < next.right && next.left < box.right && box.top < next.bottom
          && next.top < box.bottom) overlap.push(`${text} / ${other}`);
    }));
  });
  return {
    scrollWidth: document.documentElement.scrollWidth, wide, unmarked, broken, small, cut, overlap,
    charts: texts.length,
  };
}"""

# The dashboard chart's last column (today) and its label, drawn inside the visible chart.
LATEST_DAY_SHOWN = """(width) => {
  const chart = [...document.querySelectorAll('.dash-trend svg.chart')]
    .find(svg => svg.getClientRects().length > 0);
  const bars = chart.querySelectorAll('.chart-bar');
  const labels = chart.querySelectorAll('.chart-label');
  const [bar, label] = [bars[bars.length - 1], labels[labels.length - 1]];
  const inside = el => el.getBoundingClientRect().right <= Math.min(
    width, chart.getBoundingClientRect().right) + 0.5;
  return {bar: inside(bar), label: inside(label), text: label.textContent};
}"""


@pytest.fixture
def portal(employee, admin_user, django_user_model) -> dict[str, int]:
    """Something on every page: a member with calls (today's among them), contacts, a finance
    user."""
    finance = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    finance.groups.add(Group.objects.get(name="Finance"))
    sales = services.department_save(actor=admin_user, name="Sales and Customer Success")
    member = services.member_create(
        actor=admin_user,
        name="Wang Fang",
        phone_number="+8613912345673",
        department=sales,
        user=employee,
    )
    Contact.objects.create(owner=employee, name="Li Wei", phone_number="+8613800000001")
    Contact.objects.create(
        owner=None, name="Beijing Reception and Front Desk", phone_number="+861052680099"
    )
    ledger.usage_record(call=ended_call(member, duration_seconds=125))
    ended_call(
        member,
        status=Call.Status.FAILED,
        reason="CalleeBusy",
        callee="+8613800000002",
        duration_seconds=None,
        connected_at=None,
        ended_at=timezone.now() - timedelta(minutes=5),
        recording_result="",
    )
    return {"member": member.pk}


def _menu_opens_with_every_entry(page, language: str) -> list[str]:
    """The menu button opens the folded menu (by keyboard), every entry then on screen, the
    current page marked; Escape folds it again and leaves the focus on the button."""
    problems = []
    with translation.override(language):
        main = translation.gettext("Main")
    nav = page.get_by_role("navigation", name=main)
    links = nav.get_by_role("link")
    button = page.locator(".menu-button")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "main-menu")
    if nav.is_visible():
        problems.append(f"{language}: the menu is open before its button is pressed")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    for index in range(links.count()):
        link = links.nth(index)
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
            problems.append(f"{language}: menu entry {link.inner_text()!r} is off-screen")
    expect(nav.locator("[aria-current=page]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(nav).to_be_hidden()
    return problems


@pytest.mark.parametrize("role", PAGES)
def test_each_main_page_fits_a_phone_in_each_language(browser, live_server, portal, role):
    problems = []
    # One context for the role: English first, then the account's language switched to Chinese.
    with opened_page(browser, language="en", phone=True) as page:
        log_in(page, live_server, *LOGINS[role])
        for language in ("en", "zh-hans"):
            if language != "en":
                # The menu is open: the screenshot below shows it.
                page.locator("form.language button[value=zh-hans]").click()
                expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
            for number, path in enumerate(PAGES[role]):
                page.goto(live_server.url + path.format(**portal))
                where = f"{role} {path} ({language})"
                if number == 0:
                    problems += _menu_opens_with_every_entry(page, language)
                found = page.evaluate(PAGE_PROBLEMS, [PHONE["width"], CHART_TEXT_MIN_PX])
                if found["scrollWidth"] > PHONE["width"]:
                    problems.append(f"{where} scrolls {found['scrollWidth']} px wide")
                for kind in ("wide", "unmarked", "broken", "small", "cut", "overlap"):
                    if found[kind]:
                        problems.append(f"{where} {kind}: {found[kind]}")
                if path.startswith("/reports/usage/") and not found["charts"]:
                    problems.append(f"{where} shows no chart")
                if path == "/contacts/":
                    call = page.locator("table.contacts button.call").first
                    expect(call).to_be_visible()
                if path == "/dashboard/":
                    latest = page.evaluate(LATEST_DAY_SHOWN, PHONE["width"])
                    if not (latest["bar"] and latest["label"]):
                        problems.append(f"{where}: the latest day is cut off: {latest}")
            page.locator(".menu-button").click()
            screenshot(page, f"{language}-phone-{role}-menu-open")
        if role == "admin":
            problems += _a_wide_window_shows_the_whole_menu(page, live_server)
    assert not problems, "\n".join(problems)


def _a_wide_window_shows_the_whole_menu(page, live_server) -> list[str]:
    """At 1280 px the menu is open, no button, the current section marked, the wide chart's
    text still 11 px or more."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/reports/usage/?group_by=day")
    expect(page.locator(".menu-button")).to_be_hidden()
    nav = page.locator("header nav")
    expect(nav.get_by_role("link")).to_have_count(9)
    expect(nav.locator("[aria-current]")).to_have_text("报表")
    found = page.evaluate(PAGE_PROBLEMS, [1280, CHART_TEXT_MIN_PX])
    screenshot(page, "zh-hans-desktop-admin-reports-usage-day")
    kinds = ("small", "cut", "overlap", "broken", "wide")
    problems = [f"desktop {kind}: {found[kind]}" for kind in kinds]
    return [problem for problem in problems if not problem.endswith("[]")]
