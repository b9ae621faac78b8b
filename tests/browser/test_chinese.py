"""An employee on a phone switches the portal to Chinese on the login page, calls a contact, hangs
up and finds the call in the history, all in Chinese; the choice is kept with the account."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Preference
from calls.models import Call, Contact
from tests.browser.conftest import nav_link, notification_sent, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker"),
]


def test_an_employee_calls_in_chinese_on_a_phone(phone_page, live_server, make_sandbox, member):
    page = phone_page  # its browser asks for English: the choice below must win
    Contact.objects.create(owner=member.user, name="Liu Yang", phone_number="+8613800000006")
    sandbox = make_sandbox(time_scale=0.2)

    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="简体中文").click()
    page.get_by_label("用户名").fill("wang")
    page.get_by_label("密码").fill("pw-wang-123")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="联系人", exact=True)).to_be_visible()
    assert Preference.objects.get(user=member.user).language == "zh-hans"
    screenshot(page, "zh-hans-phone-journey-contacts")

    page.get_by_role("button", name="呼叫 Liu Yang").click()
    status = page.locator(".call-status .big")
    notification_sent(sandbox, "Connected")
    expect(status).to_have_text("已接通", timeout=2_000)
    page.get_by_role("button", name="挂断").click()

    notification_sent(sandbox, "Disconnected")
    expect(status).to_have_text(re.compile(r"已结束（已挂断(，\d+秒)?）"), timeout=2_000)
    timeline = page.locator(".timeline")
    for step in ["已发起通话", "正在呼叫您…", "正在呼叫 Liu Yang…", "已接通", "已结束"]:
        expect(timeline).to_contain_text(step)
    screenshot(page, "zh-hans-phone-journey-call")
    assert Call.objects.get().status == "ended"

    nav_link(page, "我的通话").click()
    expect(page.locator("table.history tbody tr")).to_have_count(1)
    expect(page.locator("table.history")).to_contain_text("Liu Yang")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "zh-hans-phone-journey-history")
