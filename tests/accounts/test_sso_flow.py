"""Single sign-on's refusals over HTTP, against the provider the tests start (issue 21, after a
review): a deactivated user, a superuser, an unverified e-mail, a provider that is away, groups
only in the ID token, and refusals that django-axes must not count as wrong passwords."""

import pytest
from django.contrib.auth.models import Group

from accounts import sso
from tests.accounts.oidc_provider import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def person(email: str, *groups: str, **claims: object) -> dict:
    return {"sub": email, "email": email, "email_verified": True, "groups": list(groups), **claims}


def test_a_deactivated_user_stays_out(live_server, oidc_provider, django_user_model):
    gone = django_user_model.objects.create_user("alice", email="alice@example.com")
    gone.is_active = False
    gone.save()
    oidc_provider.person = person("alice@example.com", "Admin")

    page = signed_in(live_server.url, oidc_provider)

    assert "is deactivated" in page.text
    assert django_user_model.objects.filter(email__iexact="alice@example.com").count() == 1


def test_a_superuser_is_not_reached_through_the_provider(live_server, oidc_provider, admin_user):
    admin_user.email = "boss@example.com"
    admin_user.save()
    oidc_provider.person = person("boss@example.com", "Admin")

    page = signed_in(live_server.url, oidc_provider)

    assert "Superusers log in with their password" in page.text
    assert 'name="password"' in page.text


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_refused(live_server, oidc_provider, django_user_model, verified):
    oidc_provider.person = person("eve@example.com", "Admin", email_verified=verified)
    if verified is None:
        del oidc_provider.person["email_verified"]

    page = signed_in(live_server.url, oidc_provider)

    assert "no verified e-mail" in page.text
    assert not django_user_model.objects.filter(email="eve@example.com").exists()


def test_someone_the_provider_no_longer_gives_a_role_loses_theirs(
    live_server, oidc_provider, django_user_model
):
    former = django_user_model.objects.create_user("li", email="li@example.com")
    former.groups.add(Group.objects.get(name="Admin"))
    oidc_provider.person = person("li@example.com")

    page = signed_in(live_server.url, oidc_provider)

    assert "has no role in this portal" in page.text
    former.refresh_from_db()
    assert (former.is_staff, list(former.groups.all())) == (False, [])


def test_groups_in_the_id_token_alone_are_read(live_server, oidc_provider, django_user_model):
    oidc_provider.person = person("finance@example.com", "Finance")
    oidc_provider.userinfo_without = {"groups"}

    page = signed_in(live_server.url, oidc_provider)

    assert page.url.endswith("/reports/usage/")
    user = django_user_model.objects.get(email="finance@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["Finance"]


def test_a_provider_that_is_away_sends_people_back_to_the_passwords(live_server, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    settings.OIDC_RP_CLIENT_ID = "click-to-dial"
    sso._discovered.clear()

    import requests

    page = requests.get(f"{live_server.url}/oidc/authenticate/", timeout=30)

    assert page.status_code == 200
    assert "cannot be reached now" in page.text
    assert 'name="password"' in page.text


def test_refusals_are_not_counted_as_wrong_passwords(
    live_server, oidc_provider, settings, django_user_model
):
    settings.AXES_FAILURE_LIMIT = 2
    oidc_provider.person = person("visitor@example.com", "Contractors")
    for _attempt in range(4):
        page = signed_in(live_server.url, oidc_provider)
        assert "has no role" in page.text

    oidc_provider.person = person("new.hire@example.com", "Employee")
    page = signed_in(live_server.url, oidc_provider)

    assert page.status_code == 200 and page.url.endswith("/contacts/")
