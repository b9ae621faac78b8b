"""The Users pages: admins create logins, invite them by e-mail, send set-password links, unlock
locked-out users, change roles and pool alerts, deactivate; each change audited."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from audit.models import AuditLogEntry
from members import roles
from members.pool.alerts import pool_alert_recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(django_user_model):
    """An admin who is not a superuser (the portal's usual admin)."""
    user = django_user_model.objects.create_user(
        username="chen", password="pw-chen-123", email="chen@example.com"
    )
    user.groups.add(Group.objects.get(name=roles.ADMIN))
    return user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _link(message) -> str:
    return re.search(r"http://\S+/accounts/set-password/\S+/", message.body).group(0)


def test_the_list_shows_each_user_with_roles_and_state(
    admin_client, employee, django_assert_max_num_queries
):
    employee.groups.add(Group.objects.get(name=roles.FINANCE))
    employee.is_active = False
    employee.save()

    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse("user-list"))

    text = page.content.decode()
    assert page.status_code == 200
    assert "wang" in text and "Wang Fang" in text
    assert "Finance" in text
    assert "Deactivated" in text


def test_an_admin_creates_a_login_and_invites_it(admin_client, admin, django_user_model):
    response = admin_client.post(
        reverse("user-list"),
        {
            "username": "zhang.wei",
            "name": "张伟",
            "email": "zhang@example.com",
            "roles": [roles.EMPLOYEE, roles.FINANCE],
            "invite": "on",
        },
    )

    assert response.status_code == 302
    user = django_user_model.objects.get(username="zhang.wei")
    assert user.get_full_name() == "张伟"
    assert not user.has_usable_password()
    assert {g.name for g in user.groups.all()} == {roles.EMPLOYEE, roles.FINANCE}
    assert not user.is_staff
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhang@example.com"]
    assert "zhang.wei" in mail.outbox[0].body
    created = AuditLogEntry.objects.get(action="create", object_type="User")
    assert created.actor == admin
    assert created.after["role_finance"] is True and created.after["role_admin"] is False
    assert AuditLogEntry.objects.filter(action="password_link", object_id=str(user.pk)).exists()


def test_an_invitation_needs_an_address(admin_client, django_user_model):
    response = admin_client.post(
        reverse("user-list"), {"username": "nomail", "roles": [roles.EMPLOYEE], "invite": "on"}
    )

    assert response.status_code == 400
    assert "Enter an e-mail address" in response.content.decode()
    assert not django_user_model.objects.filter(username="nomail").exists()
    assert mail.outbox == []


def test_a_taken_username_is_refused(admin_client, employee, django_user_model):
    response = admin_client.post(reverse("user-list"), {"username": "WANG"})

    assert response.status_code == 400
    assert "already a user called" in response.content.decode()
    assert django_user_model.objects.count() == 2


def test_the_invitation_link_sets_a_password_that_logs_in(admin_client, django_user_model):
    admin_client.post(
        reverse("user-list"),
        {"username": "zhao", "email": "zhao@example.com", "invite": "on"},
    )
    link = _link(mail.outbox[0])
    admin_client.logout()

    form = admin_client.get(link, follow=True)  # the token moves into the session
    assert form.status_code == 200
    assert "Set your password" in form.content.decode()
    done = admin_client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-good-Passw0rd-9", "new_password2": "a-good-Passw0rd-9"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("login")
    logged_in = admin_client.post(
        reverse("login"), {"username": "zhao", "password": "a-good-Passw0rd-9"}
    )
    assert logged_in.status_code == 302
    # Used once: the same link no longer works.
    again = admin_client.get(link, follow=True)
    assert "has expired or was already used" in again.content.decode()


def test_a_reset_link_is_sent_again_from_the_users_page(admin_client, employee):
    employee.email = "wang@example.com"
    employee.save()

    response = admin_client.post(reverse("user-password-link", args=[employee.pk]))

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "reset your password" in mail.outbox[0].subject
    assert "设置新密码" in mail.outbox[0].body or "密码" in mail.outbox[0].body
    assert AuditLogEntry.objects.filter(action="password_link", object_id=str(employee.pk)).exists()


def test_no_link_without_an_address(admin_client, employee):
    response = admin_client.post(reverse("user-password-link", args=[employee.pk]), follow=True)

    assert "has no e-mail address" in response.content.decode()
    assert mail.outbox == []
    assert not AuditLogEntry.objects.filter(action="password_link").exists()


def test_an_admin_unlocks_a_locked_out_user(admin_client, client, employee, settings):
    from django.test import Client

    other = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        other.post(reverse("login"), {"username": "wang", "password": "guess"})
    assert (
        other.post(reverse("login"), {"username": "wang", "password": "pw-wang-123"}).status_code
        == 429
    )
    assert (
        "Locked out" in admin_client.get(reverse("user-edit", args=[employee.pk])).content.decode()
    )

    response = admin_client.post(reverse("user-unlock", args=[employee.pk]))

    assert response.status_code == 302
    assert (
        other.post(reverse("login"), {"username": "wang", "password": "pw-wang-123"}).status_code
        == 302
    )
    entry = AuditLogEntry.objects.get(action="unlock")
    assert entry.before == {"locked": True} and entry.after == {"locked": False}


def test_roles_change_and_admin_makes_staff(admin_client, employee):
    response = admin_client.post(
        reverse("user-edit", args=[employee.pk]),
        {"name": "Wang Fang", "email": "", "roles": [roles.ADMIN, roles.EMPLOYEE]},
    )

    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.is_staff
    entry = AuditLogEntry.objects.get(action="update", object_type="User")
    assert entry.before["role_admin"] is False and entry.after["role_admin"] is True


def test_an_admin_cannot_take_their_own_admin_role(admin_client, admin):
    response = admin_client.post(
        reverse("user-edit", args=[admin.pk]), {"name": "", "email": admin.email, "roles": []}
    )

    assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.is_staff
    assert not AuditLogEntry.objects.exists()


def test_deactivating_stops_the_login_and_is_undone_by_reactivating(admin_client, employee):
    response = admin_client.post(reverse("user-deactivate", args=[employee.pk]))

    assert response.status_code == 302
    employee.refresh_from_db()
    assert not employee.is_active
    from django.test import Client

    refused = Client().post(reverse("login"), {"username": "wang", "password": "pw-wang-123"})
    assert refused.status_code == 200  # the form again
    admin_client.post(reverse("user-reactivate", args=[employee.pk]))
    employee.refresh_from_db()
    assert employee.is_active
    changes = [
        (e.before["active"], e.after["active"]) for e in AuditLogEntry.objects.order_by("id")
    ]
    assert changes == [(True, False), (False, True)]


def test_an_admin_cannot_deactivate_themselves(admin_client, admin):
    admin_client.post(reverse("user-deactivate", args=[admin.pk]))

    admin.refresh_from_db()
    assert admin.is_active


def test_pool_alerts_go_to_admins_by_default_and_to_whom_an_admin_chooses(
    admin_client, admin, employee
):
    employee.email = "wang@example.com"
    employee.save()
    assert pool_alert_recipients() == ["chen@example.com"]

    admin_client.post(
        reverse("user-edit", args=[employee.pk]),
        {"name": "Wang Fang", "email": "wang@example.com", "pool_alerts": "on"},
    )
    admin_client.post(
        reverse("user-edit", args=[admin.pk]),
        {"name": "", "email": "chen@example.com", "roles": [roles.ADMIN]},  # unticked
    )

    assert pool_alert_recipients() == ["wang@example.com"]
    entry = AuditLogEntry.objects.filter(object_id=str(employee.pk)).get()
    assert entry.before["pool_alerts"] is False and entry.after["pool_alerts"] is True


def test_the_audit_log_names_user_changes(admin_client, employee):
    admin_client.post(reverse("user-deactivate", args=[employee.pk]))

    page = admin_client.get(reverse("audit-log"), {"type": "User"})

    text = page.content.decode()
    assert "Can log in" in text
    assert reverse("user-edit", args=[employee.pk]) in text


@pytest.mark.parametrize("persona", ["employee", "finance"])
def test_only_admins_manage_users(client, employee, persona, django_user_model):
    user = employee
    if persona == "finance":
        user = django_user_model.objects.create_user(username="zhou")
        user.groups.add(Group.objects.get(name=roles.FINANCE))
    client.force_login(user)

    page = client.get(reverse("user-list"))
    post = client.post(reverse("user-deactivate", args=[employee.pk]))

    assert page.status_code == 403 and post.status_code == 403
    employee.refresh_from_db()
    assert employee.is_active


def test_an_admin_cannot_take_over_a_superusers_login(admin_client, django_user_model):
    """Changing a superuser's address, then mailing them a set-password link, would hand Django's
    admin to whoever chose the address: only a superuser changes a superuser."""
    root = django_user_model.objects.create_superuser(
        username="root", password="pw-root-123", email="root@example.com"
    )

    edited = admin_client.post(
        reverse("user-edit", args=[root.pk]),
        {"name": "", "email": "attacker@example.com", "roles": [roles.ADMIN]},
    )
    admin_client.post(reverse("user-password-link", args=[root.pk]))
    admin_client.post(reverse("user-deactivate", args=[root.pk]))

    root.refresh_from_db()
    assert edited.status_code == 400
    assert "Only a superuser" in edited.content.decode()
    assert (root.email, root.is_active) == ("root@example.com", True)
    assert mail.outbox == []
    assert not AuditLogEntry.objects.filter(object_type="User").exists()


def test_a_link_mailed_before_a_login_was_deactivated_is_void(admin_client, employee):
    employee.email = "wang@example.com"
    employee.save()
    admin_client.post(reverse("user-password-link", args=[employee.pk]))
    link = _link(mail.outbox[0])
    admin_client.post(reverse("user-deactivate", args=[employee.pk]))
    admin_client.logout()

    page = admin_client.get(link, follow=True)

    assert "has expired or was already used" in page.content.decode()


def test_changing_roles_keeps_the_users_other_groups(admin_client, employee):
    auditors = Group.objects.create(name="External auditors")
    employee.groups.add(auditors)

    admin_client.post(
        reverse("user-edit", args=[employee.pk]),
        {"name": "Wang Fang", "email": "", "roles": [roles.FINANCE]},
    )

    assert set(employee.groups.values_list("name", flat=True)) == {
        "External auditors",
        roles.FINANCE,
    }
