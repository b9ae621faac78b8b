"""An admin reads the portal in Chinese as a native reader would: another's call told of its
caller (主叫未接听, not 您未接听), reasons in words with no operator code, a length as 1分5秒 and
a period as 2026年12月1日至31日."""

import calendar

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import Call
from members.pool.services import pool_current
from tests.browser.conftest import log_in, opened_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_reads_anothers_call_in_the_third_person_in_chinese(
    browser, live_server, member, admin_user
):
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        callee_name="Li Wei",
        status=Call.Status.ENDED,
        reason="CallerNoAnswer",
        duration_seconds=0,
        ended_at=timezone.now(),
    )
    pool = pool_current()

    with opened_page(browser, language="zh-hans") as page:
        log_in(page, live_server, "boss", "pw-boss-123")

        page.goto(f"{live_server.url}/calls/")
        row = page.locator("table.history tbody tr").first
        expect(row).to_contain_text("已结束（主叫未接听）")
        reasons = page.locator("select[name=reason] option").all_inner_texts()
        assert "主叫未接听" in reasons
        assert "被叫忙线" in reasons
        assert not [text for text in reasons if "Call" in text or "您" in text]
        screenshot(page, "zh-hans-admin-call-log-reasons")

        page.goto(f"{live_server.url}/calls/{call.pk}/")
        expect(page.locator("#call-status-text")).to_have_text("已结束（主叫未接听）")
        expect(page.locator("main")).not_to_contain_text("您未接听")

        page.goto(f"{live_server.url}/pool/")
        start = pool.period_start
        last = calendar.monthrange(start.year, start.month)[1]
        expect(page.locator("main")).to_contain_text(
            f"{start.year}年{start.month}月1日至{last}日由全体成员共享"
        )
        screenshot(page, "zh-hans-admin-pool-period")
