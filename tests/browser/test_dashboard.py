"""An admin logs in, lands on the dashboard and watches a call change there without reloading."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import Call
from members.models import Member

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
