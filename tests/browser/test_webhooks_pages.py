"""The admins' webhook pages in Chromium (issue 21): an endpoint added, its secret shown once, a
test event sent and its attempt listed; both languages, a desktop and a 390 px phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, axe_violations, log_in, opened_page, screenshot
from webhooks.models import WebhookMessage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker", "quick_webhooks"),
]


def test_an_admin_adds_an_endpoint_and_sends_it_a_test_event(
    page, live_server, admin_user, receiver
):
    log_in(page, live_server, "boss", "pw-boss-123")
    page.goto(f"{live_server.url}/members/")
    page.locator("nav.subnav").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("CRM")
    page.get_by_role("button", name="Add endpoint").click()

    expect(page.get_by_role("heading", name="Signing secret")).to_be_visible()
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Send a test event").click()
    receiver.wait_for(1)
    (message,) = receiver.verified(secret)
    assert message["type"] == "webhook.test"
    # The secret is not shown again.
    expect(page.locator("#webhook-secret")).to_have_count(0)
    page.reload()
    row = page.locator("table.webhook-messages tbody tr").first
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("Delivered")
    row.get_by_text("1 attempt").click()
    expect(row).to_contain_text("HTTP 204")
    screenshot(page, "webhook-detail-desktop-en")
    assert axe_violations(page) == []

    row.get_by_role("button", name="Resend").click()
    receiver.wait_for(2)
    assert receiver.accepted()[1].headers["webhook-id"] == WebhookMessage.objects.get().message_id


def test_a_refused_url_is_said_beside_its_field(page, live_server, admin_user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    log_in(page, live_server, "boss", "pw-boss-123")
    page.goto(f"{live_server.url}/members/webhooks/")
    page.get_by_label("URL").fill("https://192.168.1.20/crm")
    page.get_by_role("button", name="Add endpoint").click()

    expect(page.locator(".field-error")).to_contain_text("private, loopback or link-local")
    expect(page.get_by_label("URL")).to_have_value("https://192.168.1.20/crm")
    screenshot(page, "webhook-refused-desktop-en")


def test_the_pages_in_both_languages_on_both_screens(browser, live_server, admin_user, receiver):
    from webhooks import services

    endpoint = services.endpoint_create(
        actor=admin_user, url=receiver.url, events=["call.status", "call.ended"]
    )
    services.test_event_send(endpoint=endpoint)
    receiver.wait_for(1)
    pages = [("/members/webhooks/", "list"), (f"/members/webhooks/{endpoint.pk}/", "detail")]
    for language, phone in SCREENS:
        with opened_page(browser, language=language, phone=phone) as page:
            log_in(page, live_server, "boss", "pw-boss-123")
            for path, name in pages:
                page.goto(live_server.url + path)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= page.viewport_size["width"], (path, language, phone)
                screenshot(page, f"webhook-{name}-{'phone' if phone else 'desktop'}-{language}")
