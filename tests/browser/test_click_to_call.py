"""An employee logs in, presses Call next to a contact and follows the call live, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from calls.models import Call, Contact
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    employee_log_in,
    log_in,
    notification_sent,
    opened_page,
    page_condition_wait,
    screenshot,
)
from tests.calls.helpers import use_camara

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker"),
]


@pytest.fixture
def contacts(employee) -> None:
    for name, number in [
        ("Li Wei", "+8613800000001"),
        ("Zhang Min", "+8613800000002"),
        ("Liu Yang", "+8613800000006"),
        ("Zhao Lei", "+8613800000008"),
    ]:
        Contact.objects.create(owner=employee, name=name, phone_number=number)


# The page cannot tell which API the operator speaks.
@pytest.mark.parametrize("api", ["v1", "camara"])
def test_call_follow_and_hang_up(api, page, live_server, make_sandbox, member, contacts, settings):
    # Slower than the API tests so that each step is on screen for a moment.
    sandbox = make_sandbox(time_scale=0.2)
    if api == "camara":
        use_camara(sandbox, settings, live_server)
    employee_log_in(page, live_server)

    page.get_by_role("button", name="Call Liu Yang").click()

    status = page.locator(".call-status .big")
    expect(page.get_by_role("heading", name="Call to Liu Yang")).to_be_visible()
    notification_sent(sandbox, "Connected")
    # The page shows a change within 2 s of the notification, without a reload.
    expect(status).to_have_text("Connected", timeout=2_000)

    page.get_by_role("button", name="Hang up").click()

    notification_sent(sandbox, "Disconnected")
    # Hung up within a fraction of a scaled second, the talk time may honestly round to 0 s.
    expect(status).to_have_text(re.compile(r"Ended \(hung up(, \d+ s)?\)"), timeout=2_000)
    timeline = page.locator(".timeline")
    for step in ["Call placed", "Calling you…", "Calling Liu Yang…", "Connected", "Ended"]:
        expect(timeline).to_contain_text(step)
    expect(page.get_by_role("button", name="Hang up")).to_have_count(0)
    call = Call.objects.get()
    assert (call.status, call.reason) == ("ended", "HangUp")
    # Released through the API that placed it: v1's release, CAMARA's DELETE.
    (release,) = [r for r in sandbox.requests if r.method == "DELETE" or "release" in r.path]
    assert release.path.endswith(call.callidentifier)


def test_a_completed_a_busy_and_a_refused_call(page, live_server, sandbox, member, contacts):
    employee_log_in(page, live_server)
    status = page.locator(".call-status .big")

    page.get_by_role("button", name="Call Li Wei").click()
    expect(status).to_have_text("Ended (hung up, 20 s)")
    expect(page.get_by_text("Billed: 1 min for 20 s of talk.")).to_be_visible()

    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("button", name="Call Zhang Min").click()
    expect(status).to_have_text("Ended (busy)")

    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("button", name="Call Zhao Lei").click()
    expect(status).to_contain_text("Failed")
    expect(status).to_contain_text("blacklist")

    page.get_by_role("link", name="My calls").click()
    expect(page.locator("table.list tbody tr")).to_have_count(3)


def test_a_suspended_member_is_told_why(page, live_server, sandbox, member, contacts):
    member.status = "suspended"
    member.save()
    employee_log_in(page, live_server)

    page.get_by_role("button", name="Call Li Wei").click()

    expect(page.get_by_role("status")).to_contain_text("suspended")
    assert not Call.objects.exists()


# What the live page says, in each language (the page's words are the point of these tests).
WORDS = {
    "en": {
        "call": "Call Liu Yang",
        "heading": "Call to Liu Yang",
        "connected": "Connected",
        "hang_up": "Hang up",
        "ended": re.compile(r"^Ended \(hung up(, [^)]+)?\)$"),
        "timer": re.compile(r"^\d+ s$|^\d+ min \d+ s$"),
        "wrapup": "How did the call go?",
        "again": "Call again",
    },
    "zh-hans": {
        "call": "呼叫 Liu Yang",
        "heading": "呼叫 Liu Yang",
        "connected": "已接通",
        "hang_up": "挂断",
        "ended": re.compile(r"^已结束（已挂断(，[^）]+)?）$"),
        "timer": re.compile(r"^\d+秒$|^\d+分\d+秒$"),
        "wrapup": re.compile(r"^这通电话结果如何"),  # its full-width "?" is ruff's confusable
        "again": "再次呼叫",
    },
}

# Each settled htmx swap (a poll, a hang-up) counted, and the page and the nodes that must
# survive the polls tagged: a reload or a re-inserted node loses the tag.
POLLS_COUNT = """() => {
    window.notReloaded = true;
    window.polls = 0;
    document.body.addEventListener("htmx:afterSettle", () => { window.polls += 1; });
    document.querySelector("[role=status][id]").keptNode = true;
}"""


def polls_wait(page, count: int) -> None:
    """Until `count` more polls have been morphed into the page."""
    start = page.evaluate("window.polls")
    page_condition_wait(page, f"window.polls >= {start + count}")


def screenshots_both(page, name: str) -> None:
    """The page as it is now, on a desktop and on a 390 px phone."""
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_live_call_page_keeps_focus_status_and_timer_then_offers_the_wrap_up(
    language, browser, live_server, make_sandbox, member, contacts
):
    words = WORDS[language]
    sandbox = make_sandbox(time_scale=0.2)
    with opened_page(browser, language=language) as page:
        log_in(page, live_server, "wang", "pw-wang-123")
        page.get_by_role("button", name=words["call"]).click()
        expect(page.get_by_role("heading", name=words["heading"])).to_be_visible()
        first = Call.objects.get()
        polls_sent = []
        page.on(
            "request",
            lambda request: polls_sent.append(1) if request.url.endswith("/status/") else None,
        )
        page.evaluate(POLLS_COUNT)
        status = page.locator("#call-status-text")
        assert page.get_by_role("status").count() == 1
        notification_sent(sandbox, "Connected")
        expect(status).to_have_text(words["connected"], timeout=2_000)

        hang_up = page.get_by_role("button", name=words["hang_up"])
        hang_up.focus()
        page.evaluate("document.activeElement.keptNode = true")
        timer = page.locator("#talk-timer")
        expect(timer).to_have_text(words["timer"])
        shown = timer.text_content()
        polls_wait(page, 2)

        # The same button, still focused; the same status node; the timer counted on.
        assert page.evaluate("document.activeElement.keptNode === true")
        assert page.evaluate("document.activeElement.id") == "call-hangup-button"
        assert page.evaluate("document.getElementById('call-status-text').keptNode") is True
        expect(timer).not_to_have_text(shown, timeout=2_000)
        expect(timer).to_have_text(words["timer"])
        assert axe_violations(page) == []
        screenshots_both(page, f"{language}-call-live")

        hang_up.focus()
        page.keyboard.press("Enter")

        expect(status).to_have_text(words["ended"], timeout=3_000)
        wrapup = page.get_by_role("heading", name=words["wrapup"])
        expect(wrapup).to_be_visible()
        # "Hang up" went with the call: the focus goes to what comes next, not to the page's top.
        expect(wrapup).to_be_focused()
        expect(hang_up).to_have_count(0)
        expect(timer).to_have_count(0)
        assert page.evaluate("window.notReloaded") is True
        assert page.evaluate("document.getElementById('call-status-text').keptNode") is True
        assert page.get_by_role("status").count() == 1
        # A late poll leaves the wrap-up being filled in as it is.
        notes = page.locator("#wrapup-notes")
        notes.fill("Back on Friday")
        page.evaluate(
            """url => htmx.ajax("GET", url, {target: "#call-live", swap: "morph:innerHTML"})""",
            f"/calls/{first.pk}/status/",
        )
        expect(notes).to_have_value("Back on Friday")
        sent = len(polls_sent)
        assert sent >= 2  # it did poll while the call was live
        screenshots_both(page, f"{language}-call-ended")
        page.wait_for_timeout(1_200)
        # The call is final: at most the poll already on its way, which answers "stop" (286).
        assert len(polls_sent) <= sent + 1

        page.get_by_role("button", name=words["again"]).click()

        expect(page.get_by_role("heading", name=words["heading"])).to_be_visible()
        second = Call.objects.exclude(pk=first.pk).get()
        expect(page).to_have_url(re.compile(rf"/calls/{second.pk}/$"))
        assert (second.contact_id, second.callee) == (first.contact_id, first.callee)
