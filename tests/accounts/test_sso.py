"""Single sign-on's rules without a browser (issue 21; the flow itself: tests/browser/test_sso.py):
roles read from the claim, passwords for superusers only when so configured, the login page as
before when single sign-on is not configured."""

import pytest
from django.test import Client

from accounts.sso import PortalOIDCBackend, roles_from_claims

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("claim", "roles"),
    [
        (["Admin"], {"Admin"}),
        (["employee", "Finance", "Staff"], {"Employee", "Finance"}),
        ("Finance", {"Finance"}),  # a single value, as some providers send it
        ([], set()),
        (None, set()),
        (["Contractors"], set()),
    ],
)
def test_roles_come_from_the_claims_values(claim, roles):
    assert roles_from_claims({"groups": claim}) == roles


def test_the_claim_and_its_values_are_configurable(settings):
    settings.OIDC_ROLES_CLAIM = "roles"
    settings.OIDC_ROLE_ADMIN = ["portal-admins", "it"]

    assert roles_from_claims({"roles": ["IT"], "groups": ["Finance"]}) == {"Admin"}


def test_without_configuration_the_login_page_is_as_before(client):
    page = client.get("/accounts/login/").content.decode()

    assert "Sign in with" not in page
    assert 'name="password"' in page


def test_without_configuration_the_backend_asks_no_provider(rf):
    request = rf.get("/oidc/callback/", {"code": "x", "state": "y"})

    assert PortalOIDCBackend().authenticate(request) is None


@pytest.fixture
def passwords_for_superusers_only(settings):
    settings.OIDC_PASSWORD_LOGIN = False
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "accounts.sso.PasswordForSuperusersBackend",
        "accounts.sso.PortalOIDCBackend",
    ]


@pytest.mark.usefixtures("passwords_for_superusers_only")
def test_passwords_log_in_superusers_only_when_so_configured(employee, admin_user):
    employee_client, admin_client = Client(), Client()

    refused = employee_client.post(
        "/accounts/login/", {"username": "wang", "password": "pw-wang-123"}
    )
    allowed = admin_client.post("/accounts/login/", {"username": "boss", "password": "pw-boss-123"})

    assert refused.status_code == 200
    assert refused.wsgi_request.user.is_anonymous
    assert "didn't match" in refused.content.decode()
    assert allowed.status_code == 302
