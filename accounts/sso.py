"""Single sign-on with the enterprise's OpenID Connect provider (mozilla-django-oidc), configured
only by environment (settings.py's OIDC_*): unset, the login page is as it always was.

People are matched by e-mail, or created on their first login; their roles come from a claim of
the provider's (`OIDC_ROLES_CLAIM`, e.g. `groups`), each of whose values may name a role
(`OIDC_ROLE_ADMIN`, `OIDC_ROLE_EMPLOYEE`, `OIDC_ROLE_FINANCE`), set again at every login. Someone
whose claim names no role is refused: the portal is not for them. The provider's endpoints come
from its discovery document (`OIDC_ISSUER`) unless they are given one by one."""

from __future__ import annotations

import logging
import time

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ImproperlyConfigured
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from members import roles

logger = logging.getLogger(__name__)

# mozilla-django-oidc's setting, and the field of the provider's discovery document it is.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
DISCOVERY_LIFETIME = 3600  # seconds: providers rotate keys and endpoints rarely
# Why the last single sign-on of this session was refused, for the login page to say.
REFUSED = "sso_refused"

_discovered: dict[str, tuple[float, dict]] = {}


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID) and bool(
        settings.OIDC_ISSUER or settings.OIDC_OP_AUTHORIZATION_ENDPOINT
    )


def discovery() -> dict:
    """The provider's discovery document, fetched at most once an hour per process."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    fetched_at, document = _discovered.get(issuer, (0.0, {}))
    if time.monotonic() - fetched_at < DISCOVERY_LIFETIME:
        return document
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(
            f"OIDC_ISSUER is {issuer}, but its discovery document names {document.get('issuer')}"
        )
    _discovered[issuer] = (time.monotonic(), document)
    return document


def sso_setting(name: str, *default: object) -> object:
    """mozilla-django-oidc's settings, the endpoints from discovery where not given."""
    if name in DISCOVERED and not getattr(settings, name, None) and settings.OIDC_ISSUER:
        return discovery()[DISCOVERED[name]]
    return import_from_settings(name, *default)


def roles_from_claims(claims: dict) -> set[str]:
    """The portal's roles that the provider's claim names (its values compared without case)."""
    value = claims.get(settings.OIDC_ROLES_CLAIM) or []
    values = {value.casefold()} if isinstance(value, str) else {str(v).casefold() for v in value}
    wanted = {
        roles.ADMIN: settings.OIDC_ROLE_ADMIN,
        roles.EMPLOYEE: settings.OIDC_ROLE_EMPLOYEE,
        roles.FINANCE: settings.OIDC_ROLE_FINANCE,
    }
    return {role for role, names in wanted.items() if values & {n.casefold() for n in names}}


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """The provider's answer to a login: the person by e-mail (or new), their roles set."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Django builds every backend for every login, passwords included: the provider's
        # endpoints are read only when a login is the provider's (authenticate, below).
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or not sso_enabled() or "code" not in request.GET:
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict) -> bool:
        if not claims.get("email"):
            self._refuse("no_email")
            return False
        if settings.OIDC_REQUIRE_VERIFIED_EMAIL and claims.get("email_verified") is False:
            self._refuse("no_email")
            return False
        if not roles_from_claims(claims):
            self._refuse("no_role")
            return False
        return True

    def _refuse(self, why: str) -> None:
        self.request.session[REFUSED] = why

    def filter_users_by_claims(self, claims: dict):
        return self.UserModel.objects.filter(email__iexact=claims["email"], is_active=True)

    def create_user(self, claims: dict) -> AbstractBaseUser:
        user = self.UserModel.objects.create_user(
            username=_username_for(claims),
            email=claims["email"],
            first_name=claims.get("given_name", "")[:150],
            last_name=claims.get("family_name", "")[:150],
        )
        return self.update_user(user, claims)

    def update_user(self, user: AbstractBaseUser, claims: dict) -> AbstractBaseUser:
        roles_set(user, roles_from_claims(claims))
        return user


def _username_for(claims: dict) -> str:
    """The provider's preferred username if no one has it, else the e-mail address."""
    User = get_user_model()
    preferred = (claims.get("preferred_username") or "")[:150]
    if preferred and not User.objects.filter(username__iexact=preferred).exists():
        return preferred
    return claims["email"][:150]


def roles_set(user: AbstractBaseUser, wanted: set[str]) -> None:
    """The user's role groups made `wanted` (Admin also sets is_staff, by members.roles' signals);
    other groups, and a superuser's standing, are left alone."""
    for name in (roles.ADMIN, roles.EMPLOYEE, roles.FINANCE):
        group = Group.objects.get(name=name)
        if name in wanted:
            user.groups.add(group)
        else:
            user.groups.remove(group)


class PortalOIDCRequestView(OIDCAuthenticationRequestView):
    """The redirect to the provider, its endpoint from discovery where not given."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = sso_setting("OIDC_RP_CLIENT_ID")

    def get(self, request):
        self.OIDC_OP_AUTH_ENDPOINT = sso_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        return super().get(request)


class PasswordForSuperusersBackend(ModelBackend):
    """With OIDC_PASSWORD_LOGIN=false: passwords log in superusers only (a way in when the
    provider is away); everyone else signs in with the company account."""

    def user_can_authenticate(self, user: AbstractBaseUser) -> bool:
        return super().user_can_authenticate(user) and user.is_superuser


class PortalOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer; a login it did not give says so on the login page."""

    def login_failure(self):
        self.request.session.setdefault(REFUSED, "failed")
        return super().login_failure()
