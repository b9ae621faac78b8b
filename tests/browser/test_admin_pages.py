"""An admin's daily pages in the portal (Users, Recording rules), in both languages, on a desktop:
a user is added and listed; nothing pushes the page sideways; a screenshot of each page is kept
(var/test-artifacts/screenshots). The same work on a 390 px phone, and the rest of it (invitations,
set-password links, unlocking, roles, pool alerts), is in test_admin_daily_work.py."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from members import roles
from members.models import Department
from recordings.models import RecordingRule
from tests.browser.conftest import log_in, opened_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
HEADINGS = {"en": ("Users", "Recording rules"), "zh-hans": ("用户", "录音规则")}


@pytest.fixture
def portal_admin(django_user_model):
    user = django_user_model.objects.create_user(
        username="chen", password="pw-chen-123", first_name="陈静", email="chen@example.com"
    )
    user.groups.add(Group.objects.get(name=roles.ADMIN))
    sales = Department.objects.create(name="Sales")
    RecordingRule.objects.create(scope="enterprise", record=True)
    RecordingRule.objects.create(scope="department", department=sales, record=False)
    return user


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_admin_adds_a_user_and_sees_it_listed(browser, live_server, portal_admin, language):
    users_heading, rules_heading = HEADINGS[language]
    for phone in (False,):
        viewport = "phone" if phone else "desktop"
        username = f"new.{language}.{viewport}"
        with opened_page(browser, language=language, phone=phone) as page:
            if not phone:
                page.set_viewport_size({"width": 1280, "height": 800})
            log_in(page, live_server, "chen", "pw-chen-123")

            page.goto(f"{live_server.url}/users/")
            expect(page.get_by_role("heading", name=users_heading, exact=True)).to_be_visible()
            form = page.locator("#add form")
            form.locator("input[name=username]").fill(username)
            form.locator("input[name=name]").fill("张伟")
            form.locator("input[name=email]").fill(f"{username}@example.com")
            form.locator(f"input[name=roles][value={roles.EMPLOYEE}]").check()
            form.locator("button[type=submit]").click()
            page.wait_for_load_state()

            row = page.locator("table.users tr", has_text=username)
            expect(row).to_be_visible()
            expect(row).to_contain_text("张伟")
            expect(page.locator(".messages")).to_contain_text(f"{username}@example.com")
            assert page.evaluate(OVERFLOW) <= 0, f"/users/ scrolls sideways ({viewport})"
            screenshot(page, f"{language}-{viewport}-admin-users")

            row.get_by_role("link", name=username).click()
            expect(page.get_by_role("heading", name=username)).to_be_visible()
            assert page.evaluate(OVERFLOW) <= 0, f"a user's page scrolls sideways ({viewport})"
            screenshot(page, f"{language}-{viewport}-admin-user-edit")

            page.goto(f"{live_server.url}/recordings/rules/")
            expect(page.get_by_role("heading", name=rules_heading, exact=True)).to_be_visible()
            expect(page.locator("table.rules tbody tr")).to_have_count(2)
            assert page.evaluate(OVERFLOW) <= 0, f"the rules page scrolls sideways ({viewport})"
            screenshot(page, f"{language}-{viewport}-admin-recording-rules")
