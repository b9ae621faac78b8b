"""Single sign-on with the enterprise's OpenID Connect provider (mozilla-django-oidc), configured
only by environment (settings.py's OIDC_*): unset, the login page is as it always was.

People are matched by their verified e-mail to an active user who is not a superuser (superusers
log in with a password), or created on their first login; their roles come from a claim of the
provider's (`OIDC_ROLES_CLAIM`, e.g. `groups`, in the ID token or from userinfo), each of whose
values may name a role (`OIDC_ROLE_ADMIN`, `OIDC_ROLE_EMPLOYEE`, `OIDC_ROLE_FINANCE`), set again
at every login. Someone whose claim names no role is refused, and loses the roles they had. The
provider's endpoints come from its discovery document (`OIDC_ISSUER`) unless given one by one. A
provider that is away, or answers nonsense, sends the person back to the login page, which says
so; passwords still work there."""

from __future__ import annotations

import logging
import time

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.shortcuts import redirect
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
DISCOVERY_FAILURE_LIFETIME = 30  # seconds a failed fetch is not tried again
# Why the last single sign-on of this session was refused, for the login page to say.
REFUSED = "sso_refused"
# What goes wrong with a provider: unreachable, an error answer, a document or token not as
# the protocol says.
PROVIDER_ERRORS = (requests.RequestException, ValueError, KeyError, TypeError, ImproperlyConfigured)

# Per issuer: when fetched (monotonic), and the document or the error it gave.
_discovered: dict[str, tuple[float, dict | Exception]] = {}


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID) and bool(
        settings.OIDC_ISSUER or settings.OIDC_OP_AUTHORIZATION_ENDPOINT
    )


def discovery() -> dict:
    """The provider's discovery document, fetched at most once an hour per process (a failure:
    at most once every 30 s, so that a provider that is away does not hold every login)."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    known = _discovered.get(issuer)
    if known is not None:
        fetched_at, found = known
        failed = isinstance(found, Exception)
        lifetime = DISCOVERY_FAILURE_LIFETIME if failed else DISCOVERY_LIFETIME
        if time.monotonic() - fetched_at < lifetime:
            if failed:
                raise found
            return found
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
            raise ImproperlyConfigured(f"{issuer}'s discovery document names another issuer")
    except PROVIDER_ERRORS as exc:
        _discovered[issuer] = (time.monotonic(), exc)
        raise
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
    values = {value.casefold()} if isinstance(value, str) else set()
    if isinstance(value, list):
        values = {str(v).casefold() for v in value}
    wanted = {
        roles.ADMIN: settings.OIDC_ROLE_ADMIN,
        roles.EMPLOYEE: settings.OIDC_ROLE_EMPLOYEE,
        roles.FINANCE: settings.OIDC_ROLE_FINANCE,
    }
    return {role for role, names in wanted.items() if values & {n.casefold() for n in names}}


def _text(claims: dict, name: str, limit: int) -> str:
    value = claims.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _email_verified(claims: dict) -> bool:
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.lower() == "true")


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """The provider's answer to a login: the person by e-mail (or new), their roles set."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Django builds every backend for every login, passwords included: the provider's
        # endpoints are read only when a login is the provider's (authenticate, below).
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback's call, which brings the flow's nonce and PKCE verifier.
        if request is None or "code_verifier" not in kwargs or not sso_enabled():
            return None
        self.request = request
        try:
            super().__init__()
            return super().authenticate(request, **kwargs)
        except PROVIDER_ERRORS as exc:
            logger.warning("single sign-on failed: %s: %s", type(exc).__name__, exc)
            self._refuse("unavailable")
            return None

    def get_userinfo(self, access_token, id_token, payload):
        # The ID token's claims too: some providers put the groups only there.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims: dict) -> bool:
        email = claims.get("email")
        try:
            validate_email(email if isinstance(email, str) else "")
        except ValidationError:
            self._refuse("no_email")
            return False
        if settings.OIDC_REQUIRE_VERIFIED_EMAIL and not _email_verified(claims):
            self._refuse("no_email")
            return False
        if not roles_from_claims(claims):
            # Whatever roles the provider took away are taken away here too.
            for user in self.filter_users_by_claims(claims):
                if not user.is_superuser:
                    roles_set(user, set())
            self._refuse("no_role")
            return False
        return True

    def _refuse(self, why: str) -> None:
        self.request.session[REFUSED] = why

    def filter_users_by_claims(self, claims: dict):
        return self.UserModel.objects.filter(email__iexact=claims["email"])

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            return super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:
            if "Multiple users" in str(exc):
                self._refuse("ambiguous")
            raise

    def create_user(self, claims: dict) -> AbstractBaseUser:
        user = self.UserModel.objects.create_user(
            username=_username_for(claims),
            email=claims["email"][:254],
            first_name=_text(claims, "given_name", 150),
            last_name=_text(claims, "family_name", 150),
        )
        return self.update_user(user, claims)

    def update_user(self, user: AbstractBaseUser, claims: dict) -> AbstractBaseUser:
        if not user.is_active:
            self._refuse("inactive")
            raise SuspiciousOperation("the matching user is deactivated")
        if user.is_superuser:
            # Superusers log in with a password: the provider's word does not make anyone one.
            self._refuse("superuser")
            raise SuspiciousOperation("the matching user is a superuser")
        roles_set(user, roles_from_claims(claims))
        return user


def _username_for(claims: dict) -> str:
    """The provider's preferred username if no one has it, else the e-mail address (with a
    number after it if that is taken too)."""
    User = get_user_model()
    candidates = [_text(claims, "preferred_username", 150), claims["email"][:150]]
    for candidate in filter(None, candidates):
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    base, number = claims["email"][:140], 2
    while User.objects.filter(username__iexact=f"{base}-{number}").exists():
        number += 1
    return f"{base}-{number}"


def roles_set(user: AbstractBaseUser, wanted: set[str]) -> None:
    """The user's role groups made `wanted` (Admin also sets is_staff, by members.roles' signals);
    other groups are left alone."""
    role_groups = Group.objects.filter(name__in=[roles.ADMIN, roles.EMPLOYEE, roles.FINANCE])
    user.groups.remove(*[group for group in role_groups if group.name not in wanted])
    user.groups.add(*[group for group in role_groups if group.name in wanted])


class PortalOIDCRequestView(OIDCAuthenticationRequestView):
    """The redirect to the provider, its endpoint from discovery where not given; a provider that
    is away sends the person back to the login page, which says so."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = sso_setting("OIDC_RP_CLIENT_ID")

    def get(self, request: HttpRequest):
        if not sso_enabled():
            return redirect("login")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = sso_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except PROVIDER_ERRORS as exc:
            logger.warning("single sign-on: the provider is unavailable: %s", exc)
            request.session[REFUSED] = "unavailable"
            return redirect("login")
        return super().get(request)


class PortalOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer; a login it did not give says so on the login page."""

    def get(self, request: HttpRequest):
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # a state this browser never asked for, or reused
            logger.warning("single sign-on refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        self.request.session.setdefault(REFUSED, "failed")
        return super().login_failure()

    def login_success(self):
        self.request.session.pop(REFUSED, None)
        return super().login_success()


class PasswordForSuperusersBackend(ModelBackend):
    """With OIDC_PASSWORD_LOGIN=false: passwords log in superusers only (a way in when the
    provider is away); everyone else signs in with the company account."""

    def user_can_authenticate(self, user: AbstractBaseUser) -> bool:
        return super().user_can_authenticate(user) and user.is_superuser


def axes_skips(request: HttpRequest, credentials: dict | None) -> bool:
    """django-axes counts wrong passwords: a single sign-on the provider refused is not one (it
    has no username, so axes would lock every login from the person's address)."""
    return request is not None and request.path.startswith("/oidc/")
