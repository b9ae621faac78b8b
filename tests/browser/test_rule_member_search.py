"""The recording rule form finds its member by search, in Chromium, in both languages, on a desktop
and a 390 px phone: the admin types part of a name, the matching members appear under the field,
one is picked, the rule is saved and listed. Without a pick, the words are resolved when the form
is sent, and words no member has come back with the error beside the field."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from members import roles
from members.models import Member
from recordings.models import RecordingRule
from tests.browser.conftest import axe_violations, log_in, opened_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
WORDS = {
    "en": {"saved": "The rule was added.", "listed": "Member Zhang Wei", "none": "No member"},
    "zh-hans": {"saved": "规则已添加。", "listed": "成员 Zhang Wei", "none": "没有成员"},
}


@pytest.fixture
def portal_admin(django_user_model):
    user = django_user_model.objects.create_user(username="chen", password="pw-chen-123")
    user.groups.add(Group.objects.get(name=roles.ADMIN))
    Member.objects.bulk_create(
        Member(name=f"Agent {i:03d}", phone_number=f"+86139000{i:05d}") for i in range(300)
    )
    Member.objects.create(name="Zhang Wei", phone_number="+8613812345678")
    Member.objects.create(name="Zhang Min", phone_number="+8613812340000")
    return user


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_an_admin_finds_a_member_by_part_of_the_name(
    browser, live_server, portal_admin, language, phone
):
    words = WORDS[language]
    viewport = "phone" if phone else "desktop"
    with opened_page(browser, language=language, phone=phone) as page:
        log_in(page, live_server, "chen", "pw-chen-123")
        page.goto(f"{live_server.url}/recordings/rules/")
        form = page.locator("#add form")
        # No list of every member: a text field.
        expect(form.locator("select[name=member]")).to_have_count(0)

        form.locator("select[name=scope]").select_option("member")
        form.locator("input[name=member]").press_sequentially("zhang", delay=30)
        candidates = form.locator("#member-candidates input[name=member_pick]")
        expect(candidates).to_have_count(2)
        assert page.evaluate(OVERFLOW) <= 0, f"the rule form scrolls sideways ({viewport})"
        assert axe_violations(page) == []
        screenshot(page, f"{language}-{viewport}-admin-recording-rule-search")

        form.get_by_label("Zhang Wei").check()
        form.locator("select[name=record]").select_option("0")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()

        expect(page.locator(".messages")).to_contain_text(words["saved"])
        listed = page.locator("table.rules tbody tr", has_text=words["listed"])
        expect(listed).to_be_visible()

        # The rule's page names its member in the field, and saves back unchanged.
        listed.get_by_role("link", name=words["listed"]).click()
        expect(page.locator("input[name=member]")).to_have_value("Zhang Wei (138 1234 5678)")
        assert page.evaluate(OVERFLOW) <= 0, f"the rule's page scrolls sideways ({viewport})"
        screenshot(page, f"{language}-{viewport}-admin-recording-rule-edit")
        page.locator("main form button[type=submit].primary").click()
        page.wait_for_load_state()
        expect(page.locator("table.rules tbody tr", has_text=words["listed"])).to_be_visible()
    assert RecordingRule.objects.get().member.name == "Zhang Wei"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_words_no_member_has_come_back_beside_the_field(
    browser, live_server, portal_admin, language
):
    with opened_page(browser, language=language) as page:
        log_in(page, live_server, "chen", "pw-chen-123")
        page.goto(f"{live_server.url}/recordings/rules/")
        form = page.locator("#add form")
        form.locator("select[name=scope]").select_option("member")
        form.locator("input[name=member]").fill("nobody at all")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()

        error = page.locator("#id_member_error")
        expect(error).to_contain_text(WORDS[language]["none"])
        expect(page.locator("input[name=member]")).to_have_value("nobody at all")
        assert axe_violations(page) == []
        screenshot(page, f"{language}-desktop-admin-recording-rule-no-member")
    assert not RecordingRule.objects.exists()
