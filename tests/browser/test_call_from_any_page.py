"""Call from any page (issue 21): the portal made the browser's handler of tel: links, a tel: link
opened as the browser opens it for its handler, and a CRM's plain /call?number=… link, in
Chromium: the number, its contact, and a call placed with one press."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from calls.models import Call, Contact
from tests.browser.conftest import (
    SCREENS,
    axe_violations,
    employee_log_in,
    log_in,
    notification_sent,
    opened_page,
    screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker"),
]

# Wraps the browser's registerProtocolHandler to note what the page asked it, then asks it for
# real: the test sees the arguments, the browser still judges them (a bad URL throws).
RECORD_REGISTRATION = """
  window.telHandlerAsked = [];
  const real = navigator.registerProtocolHandler.bind(navigator);
  navigator.registerProtocolHandler = (scheme, url) => {
    window.telHandlerAsked.push([scheme, url]);
    return real(scheme, url);
  };
"""


def handler_url_for(live_server, template: str, link: str) -> str:
    """The address the browser opens for `link` with the handler `template` (HTML's rule: %s
    replaced by the whole link, percent-escaped)."""
    return live_server.url + template.replace("%s", quote(link, safe=""))


def test_a_tel_link_opens_the_portal_ready_to_call(page, live_server, sandbox, member, employee):
    Contact.objects.create(
        owner=employee, name="Li Wei", company="Acme", phone_number="+8613800000001"
    )
    page.add_init_script(RECORD_REGISTRATION)
    employee_log_in(page, live_server)
    page.get_by_role("link", name="Call a number").click()
    expect(page.get_by_role("heading", name="Call a number")).to_be_visible()

    page.get_by_role("button", name="Open phone links here").click()
    expect(page.locator("#tel-handler-status")).to_contain_text("Asked.")
    ((scheme, template),) = page.evaluate("window.telHandlerAsked")
    assert (scheme, template) == ("tel", "/call?number=%s")

    # A tel: link in the CRM, written as people write them, as the browser hands it over.
    page.goto(handler_url_for(live_server, template, "tel:+86-138-0000-0001"))
    expect(page.get_by_role("heading", name="138 0000 0001")).to_be_visible()
    expect(page.locator(".call-target-contact")).to_have_text("Li Wei Acme")
    assert Call.objects.count() == 0  # opening the page rang nobody
    screenshot(page, "call-number-desktop-en")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.get_by_role("heading", name="Call to Li Wei")).to_be_visible()
    notification_sent(sandbox, "Disconnected")
    call = Call.objects.get()
    assert (call.callee, call.contact.name) == ("+8613800000001", "Li Wei")


def test_a_crm_link_with_an_extension_and_an_unknown_number(page, live_server, member):
    employee_log_in(page, live_server)
    page.goto(live_server.url + "/call?number=" + quote("010 8765 4321;ext=23"))
    expect(page.get_by_role("heading", name="010 8765 4321")).to_be_visible()
    expect(page.get_by_text("Not in your contacts.")).to_be_visible()
    expect(page.locator(".call-target-extension")).to_contain_text("Extension 23")

    page.goto(live_server.url + "/call?number=" + quote("tel:call-me"))
    error = page.locator("#call-number-error")
    expect(error).to_contain_text("'tel:call-me' is not a phone number")
    expect(page.locator("#call-number")).to_have_value("tel:call-me")
    expect(page.get_by_role("button", name="Call", exact=True)).to_have_count(0)


def test_a_refused_call_comes_back_to_the_number(page, live_server, member):
    employee_log_in(page, live_server)
    page.goto(live_server.url + "/call?number=" + quote(member.phone_number))
    page.get_by_role("button", name="Call", exact=True).click()
    # Back on the number's page, which says why.
    expect(page.locator(".messages")).to_contain_text("You cannot call your own number.")
    expect(page.get_by_role("heading", name="139 1234 5673")).to_be_visible()
    assert Call.objects.count() == 0


def test_the_page_in_both_languages_on_both_screens(browser, live_server, member, employee):
    Contact.objects.create(owner=employee, name="刘洋", phone_number="+8613800000006")
    for language, phone in SCREENS:
        with opened_page(browser, language=language, phone=phone) as page:
            log_in(page, live_server, "wang", "pw-wang-123")
            page.goto(live_server.url + "/call?number=" + quote("tel:+8613800000006;ext=8"))
            expect(page.locator(".call-target-contact")).to_have_text("刘洋")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= page.viewport_size["width"], (language, phone)
            screenshot(page, f"call-number-{'phone' if phone else 'desktop'}-{language}")
