"""Browser tests drive Debian's Chromium through Playwright (its browser download fails here),
with a Chinese font for the pages in Chinese. `make test` run as root installs both; without them
the tests are skipped, saying what to install."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.accounts.oidc_provider import oidc_provider  # noqa: F401 (fixture)
from tests.helpers import wait_until
from tests.webhooks.receiver import quick_webhooks, receiver  # noqa: F401 (fixtures)

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

# Debian's package with the font the Chinese pages are drawn (and screenshot) in.
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make
# beside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chinese_font_installed() -> bool:
    """Whether fontconfig, which Chromium asks, has a font with Chinese glyphs."""
    if CJK_FONT.exists():
        return True
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    listed = subprocess.run(  # noqa: S603 (fontconfig's own tool, fixed arguments)
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(listed.stdout.strip())


def missing_packages() -> dict[str, str]:
    """The Debian packages the browser tests need and the machine lacks, each with why."""
    missing = {}
    if not CHROMIUM.exists():
        missing["chromium"] = f"no Chromium at {CHROMIUM}"
    if not _chinese_font_installed():
        missing[CJK_FONT_PACKAGE] = "no Chinese font"
    return missing


@pytest.fixture(scope="session")
def browser() -> Iterator:
    missing = missing_packages()
    if missing:
        needs = " and ".join(f"{package} ({why})" for package, why in missing.items())
        pytest.skip(
            f"needs Debian's {needs}: `apt-get install {' '.join(missing)}`, "
            "or run `make test` as root, which installs them"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 800}
# The browser's language (Accept-Language) for each of the portal's.
BROWSER_LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
# Each language on a desktop and on a phone: (language, phone?), for the pages' screenshots.
SCREENS = [(language, phone) for language in BROWSER_LOCALES for phone in (False, True)]


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
    (under PORTAL_VAR_DIR; the shared one, not a pytest-xdist worker's), kept after the run for a
    person to look at."""
    from tests.worker_isolation import SHARED_VAR_DIR

    folder = SHARED_VAR_DIR / "test-artifacts" / "screenshots"
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


def nav_link(page, name: str):
    """The main menu's link named `name`, the menu opened first where it folds behind its button
    (a phone), as a person would."""
    from playwright.sync_api import expect

    button = page.locator(".menu-button")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
    return page.locator("header nav").get_by_role("link", name=name, exact=True)


def employee_log_in(page, live_server) -> None:
    """The employee (the `employee` fixture) logs in and lands on their contacts."""
    from playwright.sync_api import expect

    log_in(page, live_server, "wang", "pw-wang-123")
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()


def notification_sent(sandbox, status: str, *, timeout: float = 10.0) -> None:
    """The sandbox has sent `status` (in v1's words), as v1's notification or CAMARA's event."""

    def says(body: dict) -> bool:
        camara_state = body.get("data", {}).get("status", {}).get("state", "")
        return body.get("status") == status or camara_state.lower() == status.lower()

    deadline = time.monotonic() + timeout
    while not any(says(n.body) for n in sandbox.notifications):
        assert time.monotonic() < deadline, f"the sandbox never sent {status}"
        time.sleep(0.02)


def page_condition_wait(page, expression: str, *, timeout: float = 5.0) -> None:
    """Until the JavaScript `expression` is true in the page. Not Playwright's wait_for_function:
    it polls with eval(), which the portal's Content-Security-Policy forbids (no 'unsafe-eval');
    page.evaluate goes through DevTools, which the policy does not govern."""
    wait_until(lambda: page.evaluate(expression), timeout=timeout, what=expression)


# The WCAG 2.1 A and AA rules of axe-core (its tags), the bar every main page is held to, and
# one of its experimental rules that is WCAG 2.1's 2.5.3 "Label in Name": a link's accessible name
# starts with its visible text, so that a voice-control user can say what they see.
AXE_WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_EXTRA_RULES = {"label-content-name-mismatch": {"enabled": True}}


def axe_violations(page) -> list[str]:
    """What axe-core (through axe-playwright-python) finds against WCAG 2.1 A/AA on the page as
    it is now: one line per rule, with its count of nodes and the first few of them."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": AXE_WCAG_TAGS},
            "rules": AXE_EXTRA_RULES,
            "resultTypes": ["violations"],
        },
    )
    return [
        f"{rule['id']} ({len(rule['nodes'])}): "
        + "; ".join(node["html"][:100] for node in rule["nodes"][:3])
        for rule in results.response["violations"]
    ]
