"""The usage report's call figures, the pool's warning before its allotment drops below what is
used, and the recordings page's filters and playback speed, as an admin sees them in Chromium: in
both languages, at 1280 and 390 px, nothing pushing the page sideways; a screenshot of each page is
kept (var/test-artifacts/screenshots)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Member, MinutePool
from members.pool.services import pool_current
from tests.browser.conftest import log_in, opened_page, screenshot
from tests.members.reports_fixtures import ended_call as billed_call
from tests.recordings.conftest import ended_call, stored_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
WORDS = {
    "en": {
        "report": "Usage report",
        "answer_rate": "Answer rate",
        "previous": "vs the previous",
        "recordings": "Recordings",
        "show": "Show recordings",
        "pool": "Minute pool",
        "warning": "already used this month",
        "saved": "The pool's terms were saved.",
    },
    "zh-hans": {
        "report": "用量报表",
        "answer_rate": "接通率",
        "previous": "较前",
        "recordings": "录音",
        "show": "显示录音",
        "pool": "共享分钟包",
        "warning": "少于本月已用的",
        "saved": None,  # checked in English only
    },
}


@pytest.fixture
def admin_data(admin_user, member, teammate_member) -> dict:
    """Two members with recorded calls, a call with no recording, a month of billed calls and a
    pool already 60 minutes into its allotment."""
    today = timezone.localdate()
    first = today.replace(day=1)
    zone = timezone.get_current_timezone()
    # Two calls placed in one hour of the first day: not the hour the test runs in, whose calls
    # (the recorded ones, placed now) would count in it too.
    busy = 9 if timezone.localtime().hour != 9 else 11
    for hour, seconds in ((busy, 125), (busy, 61), (14, 600)):
        billed_call(member, seconds=seconds, at=datetime.combine(first, time(hour), zone))
    billed_call(member, seconds=300, at=datetime.combine(first - timedelta(days=3), time(10), zone))
    mine = stored_recording(ended_call(member, callidentifier="REC-MINE"))
    theirs = stored_recording(ended_call(teammate_member, callidentifier="REC-THEIRS"))
    pool = pool_current()
    MinutePool.objects.filter(pk=pool.pk).update(
        minutes_allotted=12_000, billed_seconds_used=60 * 60
    )
    return {"mine": mine, "theirs": theirs, "member": member, "busy_hour": busy}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_admin_reads_the_report_filters_recordings_and_is_warned_about_the_pool(
    browser, live_server, admin_data, language
):
    words = WORDS[language]
    member: Member = admin_data["member"]
    for phone in (False, True):
        viewport = "phone" if phone else "desktop"
        with opened_page(browser, language=language, phone=phone) as page:
            if not phone:
                page.set_viewport_size({"width": 1280, "height": 800})
            log_in(page, live_server, "boss", "pw-boss-123")

            # The usage report: answer rate, average talk, calls by hour, against last period.
            page.goto(f"{live_server.url}/reports/usage/")
            expect(page.get_by_role("heading", name=words["report"], exact=True)).to_be_visible()
            figures = page.locator(".call-figures")
            expect(figures).to_contain_text(words["answer_rate"])
            expect(figures).to_contain_text("100%")
            expect(figures.locator(".change").first).to_contain_text(words["previous"])
            busy = admin_data["busy_hour"]
            hour = page.locator(
                "table.hours tbody tr", has_text=f"{busy:02d}:00\u2013{busy + 1:02d}:00"
            )
            expect(hour.locator("td").first).to_have_text("2")  # the two calls placed then
            assert page.evaluate(OVERFLOW) <= 0, f"the report scrolls sideways ({viewport})"
            screenshot(page, f"{language}-{viewport}-admin-usage-report")

            # Recordings: one member's only, then a faster player.
            page.goto(f"{live_server.url}/recordings/")
            expect(
                page.get_by_role("heading", name=words["recordings"], exact=True)
            ).to_be_visible()
            expect(page.locator("table.recordings audio")).to_have_count(2)
            page.locator("select[name=member]").select_option(str(member.pk))
            page.get_by_role("button", name=words["show"]).click()
            page.wait_for_load_state()
            assert f"member={member.pk}" in page.url
            expect(page.locator("table.recordings audio")).to_have_count(1)
            audio_id = f"recording-audio-{admin_data['mine'].call_id}"
            page.locator(f'select[data-playback-for="{audio_id}"]').select_option("1.5")
            rate = page.evaluate(f"() => document.getElementById('{audio_id}').playbackRate")
            assert rate == 1.5
            assert page.evaluate(OVERFLOW) <= 0, f"recordings scroll sideways ({viewport})"
            screenshot(page, f"{language}-{viewport}-admin-recordings")

            # The pool: an allotment below the 60 minutes used asks first.
            page.goto(f"{live_server.url}/pool/")
            expect(page.get_by_role("heading", name=words["pool"], exact=True)).to_be_visible()
            expect(page.locator(".balance-text")).to_contain_text("12,000")
            page.locator("input[name=minutes_allotted]").fill("50")
            page.locator("form.stacked button[type=submit]").click()
            page.wait_for_load_state()
            expect(page.locator(".confirm-below-used")).to_contain_text(words["warning"])
            assert page.evaluate(OVERFLOW) <= 0, f"the pool page scrolls sideways ({viewport})"
            screenshot(page, f"{language}-{viewport}-admin-pool-below-used")
            if words["saved"] and not phone:
                page.locator("form.stacked button[type=submit]").click()
                expect(page.locator(".messages")).to_contain_text(words["saved"])
                expect(page.locator(".balance-text")).to_contain_text("of 50 minutes")
                MinutePool.objects.update(minutes_allotted=12_000)
