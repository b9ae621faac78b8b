"""The audit log's page and its CSV export: what it shows, its filters, and who may open it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from audit import labels
from audit.models import AuditLogEntry
from audit.services import audit_record
from members.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales() -> Department:
    return Department.objects.create(name="Sales")


@pytest.fixture
def finance_user(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_usage_report"))
    user.groups.add(group)
    return user


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def shown(client, **query) -> list[str]:
    entries = client.get(reverse("audit-log"), query).context["entries"]
    return [entry.object_repr for entry, _, _ in entries]


# Who may open it: admins; everyone else gets 403; anonymous people are sent to log in.

PAGES = ["audit-log", "audit-log-csv"]


@pytest.mark.parametrize("name", PAGES)
def test_admins_open_the_log_and_its_export(admin_client, name):
    assert admin_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", ["employee", "finance_user"])
def test_employees_and_finance_get_403(client, request, name, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_people_are_sent_to_log_in(client, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_page_keeps_its_address_under_member_management():
    assert reverse("audit-log") == "/members/audit/"


# What it shows


def test_the_audit_log_shows_who_when_and_only_the_changed_fields_newest_first(
    admin_client, member
):
    admin_client.post(
        reverse("member-edit", kwargs={"pk": member.pk}),
        {
            "name": "Wang F.",
            "phone_number": member.phone_number,
            "username": "wang",
            "status": "active",
        },
    )
    admin_client.post(reverse("member-suspend", kwargs={"pk": member.pk}))

    response = admin_client.get(reverse("audit-log"))

    entries = response.context["entries"]
    assert [
        (e.action, [(c.label, c.before, c.after) for c in changes]) for e, changes, _ in entries
    ] == [
        ("update", [("Status", "active", "suspended")]),
        ("update", [("Name", "Wang Fang", "Wang F.")]),
    ]
    body = response.content.decode()
    assert "<del>Wang Fang</del> → <ins>Wang F.</ins>" in body
    assert ">boss<" in body
    assert f'href="{reverse("member-edit", kwargs={"pk": member.pk})}"' in body


def test_a_creation_in_the_audit_log_lists_the_fields_that_were_set(admin_client):
    admin_client.post(
        reverse("member-list"),
        {"name": "Li Na", "phone_number": "+8613912340000", "status": "active"},
    )

    response = admin_client.get(reverse("audit-log"))

    ((entry, changes, _),) = response.context["entries"]
    assert entry.get_action_display() == "Created"
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("Name", None, "Li Na"),
        ("Number", None, "+8613912340000"),
        ("Status", None, "active"),
    ]


def test_the_audit_log_is_paginated_in_few_queries(
    admin_client, admin_user, django_assert_max_num_queries
):
    AuditLogEntry.objects.bulk_create(
        AuditLogEntry(
            actor=admin_user,
            action="update",
            object_type="Member",
            object_id=str(i),
            object_repr=f"Member {i}",
            before={"name": f"Old {i}"},
            after={"name": f"New {i}"},
        )
        for i in range(60)
    )

    # session, user, count, page with actors, the people for the person filter
    with django_assert_max_num_queries(5):
        first = admin_client.get(reverse("audit-log"))
    second = admin_client.get(reverse("audit-log"), {"page": 2})

    assert len(first.context["entries"]) == 50
    assert len(second.context["entries"]) == 10
    assert "<del>Old 59</del> → <ins>New 59</ins>" in first.content.decode()


# Filters


def test_each_app_names_the_objects_it_writes_to_the_log():
    assert set(labels.OBJECT_TYPES) == {
        "Member",
        "Department",
        "BusinessNumber",
        "MinutePool",
        "Call",
        "CallOutcome",
        "Recording",
        "RecordingRule",
        "User",
    }


def test_the_audit_log_filters_by_object_type_and_object(admin_client, member, sales):
    admin_client.post(reverse("member-suspend", kwargs={"pk": member.pk}))
    admin_client.post(
        reverse("department-edit", kwargs={"pk": sales.pk}), {"name": "Sales", "minutes_cap": 9}
    )

    assert shown(admin_client, type="Department") == ["Sales"]
    assert shown(admin_client, type="Member", object=member.pk) == ["Wang Fang (+8613912345673)"]
    assert shown(admin_client, type="Member", object=member.pk + 1) == []
    assert len(shown(admin_client, type="bogus")) == 2


def test_it_filters_by_person_and_lists_only_the_people_in_the_log(
    admin_client, admin_user, employee, member, sales
):
    audit_record(actor=admin_user, action="update", obj=member, before={}, after={})
    audit_record(actor=employee, action="update", obj=sales, before={}, after={})
    audit_record(actor=None, action="expire", obj=sales, object_repr="by retention")

    response = admin_client.get(reverse("audit-log"))

    assert [user.get_username() for user in response.context["actors"]] == ["boss", "wang"]
    assert shown(admin_client, actor=admin_user.pk) == [str(member)]
    assert shown(admin_client, actor=employee.pk) == ["Sales"]
    assert shown(admin_client, actor="system") == ["by retention"]
    assert len(shown(admin_client, actor="nobody")) == 3


def test_it_filters_by_action(admin_client, member):
    admin_client.post(reverse("member-suspend", kwargs={"pk": member.pk}))
    admin_client.post(reverse("member-remove", kwargs={"pk": member.pk}))

    entries = admin_client.get(reverse("audit-log"), {"action": "remove"}).context["entries"]

    assert [entry.action for entry, _, _ in entries] == ["remove"]
    assert len(shown(admin_client, action="bogus")) == 2


def test_it_filters_by_local_day_both_days_included(admin_client, admin_user, member):
    today = timezone.localdate()
    for days_ago in (0, 1, 2, 3):
        entry = audit_record(
            actor=admin_user, action="update", obj=member, object_repr=f"{days_ago} days ago"
        )
        AuditLogEntry.objects.filter(pk=entry.pk).update(
            at=timezone.now() - timedelta(days=days_ago)
        )
    yesterday = today - timedelta(days=1)
    before_yesterday = today - timedelta(days=2)

    assert shown(admin_client, **{"from": before_yesterday, "to": yesterday}) == [
        "1 days ago",
        "2 days ago",
    ]
    assert shown(admin_client, **{"from": today}) == ["0 days ago"]
    assert shown(admin_client, to=before_yesterday) == ["2 days ago", "3 days ago"]
    assert len(shown(admin_client, **{"from": "not a day"})) == 4


# The CSV export


def test_the_csv_export_has_every_filtered_entry_in_words(admin_client, member, sales):
    admin_client.post(reverse("member-suspend", kwargs={"pk": member.pk}))
    admin_client.post(
        reverse("department-edit", kwargs={"pk": sales.pk}), {"name": "Sales", "minutes_cap": 9}
    )

    response = admin_client.get(reverse("audit-log-csv"), {"type": "Member"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == [
        "When",
        "Who",
        "Action",
        "Action code",
        "Type",
        "Type code",
        "Object id",
        "Object",
        "Changes",
    ]
    ((when, who, action, action_code, kind, kind_code, object_id, name, changes),) = rows
    assert (who, action, action_code, kind, kind_code, object_id, name) == (
        "boss",
        "Changed",
        "update",
        "Members",
        "Member",
        str(member.pk),
        "Wang Fang (+8613912345673)",
    )
    assert changes == "Status: active → suspended"
    assert when.startswith(f"{timezone.localdate():%Y-%m-%d} ")


def test_the_csv_export_speaks_the_readers_language_with_the_codes_beside(admin_client, member):
    admin_client.post(reverse("member-suspend", kwargs={"pk": member.pk}))

    chinese = admin_client.get(reverse("audit-log-csv"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = admin_client.get(reverse("audit-log-csv"), HTTP_ACCEPT_LANGUAGE="en")

    header, row = csv_rows(chinese)
    _, english_row = csv_rows(english)
    assert header[2] == "操作"
    assert not any(re.search(r"[A-Za-z]", cell) for cell in header)
    assert (row[2], row[3]) == ("修改", "update")
    # Chinese punctuation in the words too: a full-width colon after the field.
    assert row[8].startswith("状态：")
    # The codes are the same whatever the reader's language: programs read those.
    assert (row[3], row[5]) == (english_row[3], english_row[5]) == ("update", "Member")


def test_the_csv_export_keeps_a_name_from_running_as_a_formula(admin_client, admin_user, sales):
    audit_record(actor=admin_user, action="update", obj=sales, object_repr="=HYPERLINK(1)")

    _, row = csv_rows(admin_client.get(reverse("audit-log-csv")))

    assert row[7] == "'=HYPERLINK(1)"


# The model moved from the members app, its table kept


def test_the_entries_stay_in_the_table_members_created_under_the_audit_apps_label():
    assert AuditLogEntry._meta.db_table == "members_auditlogentry"
    assert ContentType.objects.get_for_model(AuditLogEntry).app_label == "audit"
    assert not ContentType.objects.filter(app_label="members", model="auditlogentry").exists()
