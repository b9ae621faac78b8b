"""Browser tests drive Debian's Chromium through Playwright (its browser download fails here)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make
# beside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run these")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 800}
# The browser's language (Accept-Language) for each of the portal's.
BROWSER_LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}


@contextmanager
def opened_page(browser, *, language: str = "en", phone: bool = False) -> Iterator:
    """A page in a context of its own: a desktop window, or a phone (390 by 844, touch), as an
    employee calling from their mobile sees it; the browser asks for `language`."""
    context = browser.new_context(
        locale=BROWSER_LOCALES[language],
        viewport=PHONE if phone else DESKTOP,
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser) -> Iterator:
    with opened_page(browser) as page:
        yield page


@pytest.fixture
def phone_page(browser) -> Iterator:
    with opened_page(browser, phone=True) as page:
        yield page


def screenshots_folder() -> Path:
    """Where the browser tests leave a picture of each main page: var/test-artifacts/screenshots
    (under PORTAL_VAR_DIR), kept after the run for a person to look at."""
    from django.conf import settings

    folder = Path(settings.VAR_DIR) / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, name: str) -> Path:
    path = screenshots_folder() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
