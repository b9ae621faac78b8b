"""The three roles are groups, and the Admin role and Django's staff flag go together."""

import pytest
from django.contrib.auth.models import Group

from members import roles
from members.roles import can_see_usage

pytestmark = pytest.mark.django_db


def test_the_roles_exist_with_their_permissions():
    permissions = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.filter(name__in=[roles.ADMIN, roles.EMPLOYEE, roles.FINANCE])
    }

    assert permissions == {
        roles.ADMIN: {"view_usage_report", "access_all_recordings"},
        roles.EMPLOYEE: set(),
        roles.FINANCE: {"view_usage_report"},
    }


def test_joining_the_admin_role_makes_staff_and_leaving_it_ends_that(django_user_model):
    user = django_user_model.objects.create_user(username="zhou")
    admin = Group.objects.get(name=roles.ADMIN)

    user.groups.add(admin)
    user.refresh_from_db()
    assert user.is_staff is True

    user.groups.remove(admin)
    user.refresh_from_db()
    assert user.is_staff is False


def test_a_staff_user_made_another_way_holds_the_admin_role(admin_user):
    assert admin_user.groups.filter(name=roles.ADMIN).exists()


def test_a_superuser_stays_staff_without_the_admin_role(admin_user):
    admin_user.groups.clear()
    admin_user.refresh_from_db()

    assert admin_user.is_staff is True  # admin_user is a superuser


def test_the_finance_role_sees_usage(django_user_model):
    user = django_user_model.objects.create_user(username="kuaiji")
    assert not can_see_usage(user)

    user.groups.add(Group.objects.get(name=roles.FINANCE))
    user = django_user_model.objects.get(pk=user.pk)  # permissions are cached per instance

    assert can_see_usage(user)
