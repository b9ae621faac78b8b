"""An admin logs in, lands on the dashboard and watches a call change there without reloading."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import Call
from members.models import Member
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    log_in,
    opened_page,
    page_condition_wait,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_follows_a_call_live(page, live_server, admin_user):
    member = Member.objects.create(name="Wang Fang", phone_number="+8613912345673")
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        callee_name="Li Wei",
        status=Call.Status.CALLING_CALLEE,
    )

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("pw-boss-123")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    live = page.locator("#dashboard-live")
    entry = live.locator(f'li[data-call="{call.pk}"]')
    expect(entry.get_by_role("link", name="Wang Fang → Li Wei")).to_be_visible()
    expect(entry.locator(".status")).to_have_text("Calling Li Wei…")
    # Gone if the page reloads: the changes below must arrive by the live part alone.
    page.evaluate("window.notReloaded = true")

    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.CONNECTED, connected_at=timezone.now()
    )
    expect(entry.locator(".status")).to_have_text("Connected", timeout=2_000)
    expect(live).to_contain_text("1 in progress")

    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.ENDED, reason="HangUp", ended_at=timezone.now(), duration_seconds=12
    )
    expect(live).to_contain_text("No calls in progress.", timeout=2_000)
    expect(live).to_contain_text("1 answered")
    assert page.evaluate("window.notReloaded") is True

    nav_link = page.get_by_role("link", name="Dashboard")
    expect(nav_link).to_have_attribute("href", "/dashboard/")


# The status region's words, in each language: two calls in progress, then one.
SUMMARIES = {
    "en": ("Calls in progress: 2. Calls today: 2.", "Calls in progress: 1. Calls today: 2."),
    "zh-hans": ("进行中的通话：2。今日通话：2。", "进行中的通话：1。今日通话：2。"),
}


def live_call(member, callee_name: str, status: str, **fields) -> Call:
    return Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        callee_name=callee_name,
        status=status,
        **fields,
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_dashboard_keeps_focus_and_its_status_region_across_polls(
    language, browser, live_server, admin_user
):
    member = Member.objects.create(name="Wang Fang", phone_number="+8613912345673")
    talking = live_call(member, "Li Wei", Call.Status.CONNECTED, connected_at=timezone.now())
    ringing = live_call(member, "Zhang Min", Call.Status.CALLING_CALLEE)
    before, after = SUMMARIES[language]
    with opened_page(browser, language=language) as page:
        log_in(page, live_server, "boss", "pw-boss-123")
        status = page.locator("#dashboard-live-status")
        expect(status).to_have_text(before)
        assert page.get_by_role("status").count() == 1
        link = page.locator(f"#dash-live-call-{talking.pk} a")
        link.focus()
        # Tagged: a node swapped in anew, or a reload, would lose the tags.
        page.evaluate("""() => {
            window.polls = 0;
            document.body.addEventListener("htmx:afterSettle", () => { window.polls += 1; });
            document.activeElement.keptNode = true;
            document.getElementById("dashboard-live-status").keptNode = true;
        }""")
        page_condition_wait(page, "window.polls >= 2")

        Call.objects.filter(pk=ringing.pk).update(
            status=Call.Status.ENDED, reason="CalleeBusy", ended_at=timezone.now()
        )

        expect(status).to_have_text(after, timeout=2_000)
        expect(page.locator(f"#dash-live-call-{ringing.pk}")).to_have_count(0)
        assert page.evaluate("document.activeElement.keptNode === true")
        expect(link).to_be_focused()
        assert page.evaluate("document.getElementById('dashboard-live-status').keptNode")
        assert axe_violations(page) == []
        screenshot(page, f"{language}-dashboard-live-desktop")
        page.set_viewport_size(PHONE)
        screenshot(page, f"{language}-dashboard-live-phone")
        page.set_viewport_size(DESKTOP)

        # The focused call leaves the list: the focus goes to the list's heading, not the top.
        Call.objects.filter(pk=talking.pk).update(
            status=Call.Status.ENDED, reason="HangUp", ended_at=timezone.now()
        )
        expect(link).to_have_count(0, timeout=2_000)
        expect(page.locator("#dash-live-title")).to_be_focused()
