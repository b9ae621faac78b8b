"""What an admin does to the portal's logins: create one, send a set-password link (an invitation
or a reset), unlock one that too many wrong passwords locked, change its roles and whether it gets
the pool's alerts, deactivate it. Each change is one transaction with its audit log entry."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import Preference
from audit.models import AuditLogEntry
from audit.services import audit_record
from members import roles

User = get_user_model()
ROLES = (roles.ADMIN, roles.EMPLOYEE, roles.FINANCE)
# The audit log's field for each role (a yes/no each, so that the log reads in any language).
ROLE_FIELDS = {
    roles.ADMIN: "role_admin",
    roles.EMPLOYEE: "role_employee",
    roles.FINANCE: "role_finance",
}


class UserInvalid(Exception):
    """A change refused, with a message for the admin and the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def user_roles(user: AbstractBaseUser) -> set[str]:
    """The roles a user holds (from prefetched groups when there are)."""
    held = {group.name for group in user.groups.all()}
    if user.is_staff:
        held.add(roles.ADMIN)
    return held & set(ROLES)


def receives_pool_alerts(user: AbstractBaseUser) -> bool:
    """Whether the pool's alerts are mailed to this user (members.pool.alerts asks the same of
    the database): as an admin chose, else if the user is an admin; never without an address."""
    try:
        chosen = user.preference.pool_alerts
    except Preference.DoesNotExist:
        chosen = None
    wanted = user.is_staff if chosen is None else chosen
    return bool(wanted and user.is_active and user.email)


def user_snapshot(user: AbstractBaseUser) -> dict[str, Any]:
    """The fields a person cares about, for the audit log's before → after."""
    held = user_roles(user)
    return {
        "username": user.get_username(),
        "name": user.get_full_name(),
        "email": user.email,
        **{field: role in held for role, field in ROLE_FIELDS.items()},
        "active": user.is_active,
        "pool_alerts": receives_pool_alerts(user),
    }


def _username_check(username: str) -> str:
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise UserInvalid(
            _("There is already a user called %(username)s.") % {"username": username},
            field="username",
        )
    return username


def _superuser_guard(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> None:
    """Only a superuser changes a superuser: an admin who could change a superuser's address or
    send them a set-password link could take over Django's admin."""
    if user.is_superuser and not actor.is_superuser:
        raise UserInvalid(_("Only a superuser can change a superuser's login."))


def _roles_set(*, actor: AbstractBaseUser, user: AbstractBaseUser, wanted: set[str]) -> None:
    if user.pk == actor.pk and roles.ADMIN in user_roles(user) and roles.ADMIN not in wanted:
        raise UserInvalid(
            _("You cannot take the Admin role from yourself: ask another admin."), field="roles"
        )
    was_admin = roles.ADMIN in user_roles(user)
    # Only the three roles' groups change: any other group the user is in stays.
    # The Admin group and is_staff move together (members.roles' signals).
    role_groups = Group.objects.filter(name__in=ROLES)
    user.groups.remove(*role_groups.exclude(name__in=wanted))
    user.groups.add(*role_groups.filter(name__in=wanted))
    user.refresh_from_db(fields=["is_staff"])
    if was_admin and not User.objects.filter(is_active=True, is_staff=True).exists():
        raise UserInvalid(_("The portal must keep at least one active admin."), field="roles")


def _name_set(user: AbstractBaseUser, name: str) -> None:
    # One field for the whole name, as people write it (a Chinese name does not split in two).
    user.first_name, user.last_name = name.strip(), ""


def _pool_alerts_set(user: AbstractBaseUser, pool_alerts: bool) -> None:
    """Keep the default (None) while the choice matches it, so a later role change still moves
    the alerts with it; store a choice that differs."""
    default = user.is_staff
    user.preference, _created = Preference.objects.update_or_create(
        user=user, defaults={"pool_alerts": None if pool_alerts == default else pool_alerts}
    )


def user_create(
    *,
    actor: AbstractBaseUser,
    username: str,
    name: str,
    email: str,
    roles_wanted: set[str],
    invite: bool,
) -> AbstractBaseUser:
    """A new login with no password: it is set by the user through the link mailed (now, if
    `invite`, or later from the user's page)."""
    if invite and not email:
        raise UserInvalid(_("Enter an e-mail address to send the invitation to."), field="email")
    with transaction.atomic():
        user = User(username=_username_check(username), email=email.strip())
        _name_set(user, name)
        user.set_unusable_password()
        user.save()
        _roles_set(actor=actor, user=user, wanted=roles_wanted)
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.CREATE,
            obj=user,
            after=user_snapshot(user),
            object_repr=user.get_username(),
        )
    if invite:
        password_link_send(actor=actor, user=user)
    return user


def user_update(
    *,
    actor: AbstractBaseUser,
    user: AbstractBaseUser,
    name: str,
    email: str,
    roles_wanted: set[str],
    pool_alerts: bool,
) -> AbstractBaseUser:
    _superuser_guard(actor=actor, user=user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = user_snapshot(user)
        _name_set(user, name)
        user.email = email.strip()
        user.save(update_fields=["first_name", "last_name", "email"])
        _roles_set(actor=actor, user=user, wanted=roles_wanted)
        _pool_alerts_set(user, pool_alerts)
        after = user_snapshot(user)
        if after != before:
            audit_record(
                actor=actor,
                action=AuditLogEntry.Action.UPDATE,
                obj=user,
                before=before,
                after=after,
                object_repr=user.get_username(),
            )
    return user


def user_active_set(
    *, actor: AbstractBaseUser, user: AbstractBaseUser, active: bool
) -> AbstractBaseUser:
    """Deactivate a login (it can no longer log in or use its API token; its history stays), or
    let it in again."""
    if not active and user.pk == actor.pk:
        raise UserInvalid(_("You cannot deactivate yourself: ask another admin."))
    _superuser_guard(actor=actor, user=user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            return user
        before = user_snapshot(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            obj=user,
            before=before,
            after=user_snapshot(user),
            object_repr=user.get_username(),
        )
    return user


def password_link(user: AbstractBaseUser) -> str:
    """The set-password page's address for this user, valid for PASSWORD_RESET_TIMEOUT and until
    the password is set (Django's token includes the password's hash and the last login)."""
    path = reverse(
        "password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.PORTAL_BASE_URL}{path}"


def password_link_send(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> None:
    """Mail the user a link to set their password: an invitation if they never had one, else a
    reset. The mail speaks both of the portal's languages (we do not know the reader's yet)."""
    _superuser_guard(actor=actor, user=user)
    if not user.is_active:
        raise UserInvalid(_("This user is deactivated: reactivate them first."))
    if not user.email:
        raise UserInvalid(_("This user has no e-mail address: add one first."), field="email")
    invitation = not user.has_usable_password() and user.last_login is None
    context = {
        "user": user,
        "link": password_link(user),
        "invitation": invitation,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    parts, subjects = [], []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            subjects.append(
                _("Click to Dial: set your password")
                if invitation
                else _("Click to Dial: reset your password")
            )
            parts.append(render_to_string("accounts/mail/password_link.txt", context))
    with transaction.atomic():
        # Written first and undone if the mail cannot be sent: the log says only what happened.
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.PASSWORD_LINK,
            obj=user,
            after={"email": user.email, "sent_at": timezone.now().isoformat(timespec="seconds")},
            object_repr=user.get_username(),
        )
        send_mail(
            subject=" / ".join(dict.fromkeys(subjects)),
            message="\n\n".join(parts),
            from_email=None,
            recipient_list=[user.email],
        )


def user_is_locked(username: str) -> bool:
    return username in usernames_locked([username])


def usernames_locked(usernames: list[str]) -> set[str]:
    """Which of these usernames django-axes refuses now (too many wrong passwords lately, from
    any address)."""
    since = timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return set(
        AccessAttempt.objects.filter(
            username__in=usernames,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=since,
        ).values_list("username", flat=True)
    )


def user_unlock(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> int:
    """Forget the wrong passwords counted against this username, from every address, so the
    user can log in again at once. Returns how many address records were cleared."""
    with transaction.atomic():
        was_locked = user_is_locked(user.get_username())
        cleared = login_failures_forget(username=user.get_username())
        if cleared:
            audit_record(
                actor=actor,
                action=AuditLogEntry.Action.UNLOCK,
                obj=user,
                before={"locked": was_locked},
                after={"locked": False},
                object_repr=user.get_username(),
            )
    return cleared


def login_failures_forget(*, username: str) -> int:
    """Clear django-axes' count of wrong passwords for this username, from every address."""
    return reset(username=username)
