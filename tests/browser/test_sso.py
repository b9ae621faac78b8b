"""Single sign-on in Chromium (issue 21): the login page's button, the provider's page (an OpenID
Connect provider the tests start, tests/accounts/oidc_provider.py), the real redirects both ways,
and the roles from the provider's `groups` claim."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, axe_violations, opened_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def person(email: str, *groups: str, **claims: object) -> dict:
    return {
        "sub": email.split("@")[0],
        "email": email,
        "email_verified": True,
        "groups": list(groups),
        **claims,
    }


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Example Corp").click()
    expect(page.get_by_role("heading", name="Example Corp")).to_be_visible()
    page.get_by_role("button", name=f"Continue as {email}").click()
    page.wait_for_load_state()


def test_a_new_admin_is_created_from_the_claims_and_lands_on_the_dashboard(
    page, live_server, oidc_provider, django_user_model
):
    oidc_provider.person = person(
        "li.na@example.com", "Admin", given_name="Na", family_name="Li", preferred_username="lina"
    )
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "login-sso-desktop-en")
    assert axe_violations(page) == []

    sign_in(page, live_server, "li.na@example.com")

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    user = django_user_model.objects.get(email="li.na@example.com")
    assert (user.username, user.get_full_name(), user.is_staff) == ("lina", "Na Li", True)
    assert [g.name for g in user.groups.all()] == ["Admin"]
    # The portal asked with PKCE and a nonce, for the claims it reads.
    (asked,) = oidc_provider.authorizations
    assert asked["code_challenge_method"] == "S256" and asked["nonce"]
    assert asked["scope"] == "openid email profile"


def test_an_existing_employee_is_matched_by_email_and_keeps_their_member_number(
    page, live_server, oidc_provider, member, employee
):
    employee.email = "Wang.Fang@example.com"
    employee.save()
    oidc_provider.person = person("wang.fang@example.com", "Employee")

    sign_in(page, live_server, "wang.fang@example.com")

    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    expect(page.get_by_text("139 1234 5673")).to_be_visible()  # the member number, rung first
    assert list(employee.groups.values_list("name", flat=True)) == ["Employee"]


def test_someone_whose_groups_name_no_role_is_refused(
    page, live_server, oidc_provider, django_user_model
):
    oidc_provider.person = person("visitor@example.com", "Contractors")

    sign_in(page, live_server, "visitor@example.com")

    expect(page.get_by_role("alert")).to_contain_text("has no role in this portal")
    assert not django_user_model.objects.filter(email="visitor@example.com").exists()


def test_roles_follow_the_provider_at_each_login(page, live_server, oidc_provider, admin_user):
    admin_user.email = "boss@example.com"
    admin_user.is_superuser = False
    admin_user.save()
    admin_user.groups.add(Group.objects.get(name="Admin"))
    oidc_provider.person = person("boss@example.com", "Finance")

    sign_in(page, live_server, "boss@example.com")

    expect(page.get_by_role("heading", name="Usage")).to_be_visible()
    admin_user.refresh_from_db()
    assert not admin_user.is_staff
    assert list(admin_user.groups.values_list("name", flat=True)) == ["Finance"]


def test_the_login_page_in_both_languages_on_both_screens(
    browser, live_server, oidc_provider, settings
):
    settings.OIDC_PASSWORD_LOGIN = False
    for language, phone in SCREENS:
        with opened_page(browser, language=language, phone=phone) as page:
            page.goto(f"{live_server.url}/accounts/login/")
            expect(page.locator("a.sso")).to_be_visible()
            expect(page.locator("#id_password")).to_be_hidden()  # folded away for administrators
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= page.viewport_size["width"], (language, phone)
            screenshot(page, f"login-sso-{'phone' if phone else 'desktop'}-{language}")
