"""The portal's three roles, as Django groups, and what each may do: one table.

A user may hold several roles. **Admin** is kept in step with Django's `is_staff` flag (the
checks throughout the portal and Django's admin read it), in both directions, by the signals
below. **Finance** holds the permissions its pages check (granted by migration members 0005).
**Employee** is anyone with a member number: calls need a phone to ring first, so the member
number, not the group, is what lets a person call; the group names the role for people.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

ADMIN = "Admin"
EMPLOYEE = "Employee"
FINANCE = "Finance"

# What each role may see and do (also in the README). Everyone else gets 404 for other people's
# calls, numbers and recordings.
ACCESS = {
    ADMIN: [
        "every call and recording; retry downloads, legal holds",
        "the shared company contacts (private contacts stay their owner's)",
        "members, departments, business numbers, the minute pool and its alerts, the audit log",
        "the dashboard, usage reports and exports (numbers whole)",
    ],
    EMPLOYEE: [
        "call from their own member number; their own calls and recordings",
        "their own contacts and the shared company contacts",
        "the pool's balance",
    ],
    FINANCE: [
        "usage reports, the calls behind them and each one's page (to read), pool history and "
        "exports (numbers masked)",
        "the pool's balance",
    ],
}


# The permissions each role's group holds, as (app_label, codename).
GROUP_PERMISSIONS = {
    ADMIN: [("members", "view_usage_report"), ("recordings", "access_all_recordings")],
    EMPLOYEE: [],
    FINANCE: [("members", "view_usage_report")],
}


def can_see_usage(user: AbstractBaseUser) -> bool:
    """Finance and admins see the usage reports, their exports and the calls behind them."""
    return user.is_staff or user.has_perm("members.view_usage_report")


def roles_ensure(**kwargs: object) -> None:
    """Create the role groups and their permissions if missing (after every migrate or flush).

    Migration members 0005 creates them on a new database; this keeps them after a flush too
    (Django's test runner flushes between transactional tests), and after a permission is added.
    """
    from django.contrib.auth.models import Permission

    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Permission.objects.filter(
            content_type__app_label__in={app for app, _ in permissions},
            codename__in={codename for _, codename in permissions},
        )
        group.permissions.add(
            *[p for p in wanted if (p.content_type.app_label, p.codename) in permissions]
        )


@receiver(m2m_changed, sender=get_user_model().groups.through)
def _admin_group_grants_staff(sender, instance, action, pk_set, **kwargs) -> None:
    """Joining the Admin group makes a user staff; leaving it ends that (superusers excepted)."""
    if action not in {"post_add", "post_remove", "post_clear"} or not isinstance(
        instance, get_user_model()
    ):
        return
    is_admin = instance.groups.filter(name=ADMIN).exists()
    should_be_staff = is_admin or instance.is_superuser
    if instance.is_staff != should_be_staff:
        instance.is_staff = should_be_staff
        instance.save(update_fields=["is_staff"])


@receiver(post_save, sender=get_user_model())
def _staff_are_in_the_admin_group(sender, instance, **kwargs) -> None:
    """A staff user made another way (createsuperuser, Django's admin) holds the Admin role."""
    if instance.is_staff and not instance.groups.filter(name=ADMIN).exists():
        group = Group.objects.filter(name=ADMIN).first()
        if group is not None:
            instance.groups.add(group)
