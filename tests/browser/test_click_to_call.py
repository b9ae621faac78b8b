"""An employee logs in, presses Call next to a contact and follows the call live, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from calls.models import Call, Contact
from tests.browser.conftest import employee_log_in, notification_sent
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
