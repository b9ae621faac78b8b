"""The call log as an admin uses it, in Chromium, in both languages, on a 1280 px desktop and a
390 px phone: the total above the list, a sort by talk time that keeps the filter in the URL
(a column header on a desktop, the "Sort by" select on a phone, where the table has no header),
a recording's link to the call page's player, and there how the call went (an outcome and
notes), which the log then filters by; the admins' list of outcomes.

The words to find come from the portal's own catalogue (`t`), so the test runs unchanged in
English and in Chinese; the browser's language picks which.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone, translation
from playwright.sync_api import expect

from calls.models import Call, CallOutcome
from recordings.models import Recording
from tests.browser.conftest import BROWSER_LOCALES, log_in, opened_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP_WIDE = {"width": 1280, "height": 800}


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
    def translate(message: str, context: str | None = None) -> str:
        """The portal's words in the test's language."""
        with translation.override(language):
            if context:
                return translation.pgettext(context, message)
            return translation.gettext(message)

    return translate


@pytest.fixture
def calls(member, teammate_member) -> dict[str, Call]:
    """Three ended calls, the shortest the newest; the longest recorded; one failed call; the
    outcomes the migration seeds (a transactional test empties the tables after it)."""
    importlib.import_module("calls.migrations.0008_call_outcome_notes").outcomes_seed(apps, None)
    now = timezone.now()
    made = {}
    for name, seconds, hours_ago, who in [
        ("long", 754, 5, member),
        ("middle", 125, 3, teammate_member),
        ("short", 9, 1, member),
    ]:
        at = now - timedelta(hours=hours_ago)
        call = Call.objects.create(
            member=who,
            sponsor="+861052680000",
            caller=who.phone_number,
            callee="+8613800000001",
            callee_name="Li Wei",
            status=Call.Status.ENDED,
            reason="HangUp",
            duration_seconds=seconds,
            ended_at=at + timedelta(seconds=seconds),
        )
        Call.objects.filter(pk=call.pk).update(created_at=at)
        made[name] = call
    made["failed"] = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000002",
        status=Call.Status.FAILED,
        reason="CalleeBusy",
    )
    Call.objects.filter(pk=made["failed"].pk).update(created_at=now - timedelta(hours=2))
    Recording.objects.create(
        call=made["long"],
        operator_result="Success",
        operator_recording_id="r-long",
        recorded_at=made["long"].ended_at,
        status=Recording.Status.READY,
        file="recordings/long.wav",
        size_bytes=1000,
    )
    return made


def listed(page) -> list[int]:
    return [
        int(pk)
        for pk in page.locator("table.history tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.call)"
        )
    ]


def test_sort_total_filter_and_recording(page, live_server, admin_user, calls, language, screen, t):
    log_in(page, live_server, "boss", "pw-boss-123")
    page.goto(f"{live_server.url}/calls/?status=ended")

    # Newest first, with the total, the filter in the form.
    assert listed(page) == [calls["short"].pk, calls["middle"].pk, calls["long"].pk]
    expect(page.locator("#call-count")).to_contain_text("3")
    expect(page.locator("#id_status")).to_have_value("ended")
    no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_overflow), "the page scrolls sideways"
    screenshot(page, f"{language}-{screen}-admin-call-log")

    # Longest first: a click on the header, or the select then "Show calls" on a phone.
    if screen == "desktop":
        page.locator("table.history thead th").filter(has_text=t("Duration")).get_by_role(
            "link"
        ).click()
    else:
        page.locator("#id_sort").select_option("-duration")
        page.get_by_role("button", name=t("Show calls")).click()
    page.wait_for_url(lambda url: "sort=-duration" in url and "status=ended" in url)
    assert listed(page) == [calls["long"].pk, calls["middle"].pk, calls["short"].pk]
    expect(page.locator("#id_sort")).to_have_value("-duration")
    assert page.evaluate(no_overflow), "the sorted page scrolls sideways"
    screenshot(page, f"{language}-{screen}-admin-call-log-longest")

    # The recorded call links to its player on the call page.
    listen = page.locator(f'tr[data-call="{calls["long"].pk}"] .recording-link')
    expect(listen).to_be_visible()
    expect(listen).to_contain_text(t("Listen"))
    listen.click()
    expect(page).to_have_url(
        f"{live_server.url}/calls/{calls['long'].pk}/#recording-{calls['long'].pk}"
    )
    expect(page.locator(f"#recording-{calls['long'].pk}")).to_be_attached()

    # After the call, how it went: an outcome and notes, then the log filtered by that outcome.
    call_back = CallOutcome.objects.get(code="call_back")
    page.locator("#wrapup-outcome").select_option(str(call_back.pk))
    page.locator("#wrapup-notes").fill("Friday 10:00")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_text(t("Saved how the call went."))).to_be_visible()
    expect(page.locator("#wrapup-outcome")).to_have_value(str(call_back.pk))
    assert page.evaluate(no_overflow), "the call page scrolls sideways"
    screenshot(page, f"{language}-{screen}-admin-call-page-outcome")
    page.goto(f"{live_server.url}/calls/?outcome={call_back.pk}")
    assert listed(page) == [calls["long"].pk]
    words = call_back.name_zh_hans if language == "zh-hans" else call_back.name
    expect(page.locator("table.history .outcome")).to_have_text(words)
    screenshot(page, f"{language}-{screen}-admin-call-log-by-outcome")

    # The admins' list of outcomes, under Members.
    page.goto(f"{live_server.url}/calls/outcomes/")
    expect(page.get_by_role("heading", name=t("Call outcomes"), level=1)).to_be_visible()
    expect(page.locator("table.outcomes tbody tr")).to_have_count(4)
    assert page.evaluate(no_overflow), "the outcomes page scrolls sideways"
    screenshot(page, f"{language}-{screen}-admin-call-outcomes")


def test_past_the_count_limit_the_log_says_more_than(
    page, live_server, admin_user, calls, language, screen, t, monkeypatch
):
    # Four calls, a limit of 2 and pages of 1: the total is "more than 2", the third page's
    # position still known, the fourth's not; the words in the reader's language.
    monkeypatch.setattr("calls.history.HISTORY_COUNT_LIMIT", 2)
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 1)
    log_in(page, live_server, "boss", "pw-boss-123")
    page.goto(f"{live_server.url}/calls/")
    of_more_than = t("%(first)s\N{EN DASH}%(last)s of more than %(total_shown)s calls")
    after_the_first = t(
        "More than %(total_shown)s calls; these come after the first %(total_shown)s."
    )

    expect(page.locator("#call-count")).to_have_text(
        of_more_than % {"first": 1, "last": 1, "total_shown": 2}
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"{language}-{screen}-admin-call-log-over-count-limit")
    for _ in range(3):
        page.locator("a[rel=next]").first.click()
    expect(page.locator("#call-count")).to_have_text(after_the_first % {"total_shown": 2})
    assert len(listed(page)) == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"{language}-{screen}-admin-call-log-past-count-limit")
