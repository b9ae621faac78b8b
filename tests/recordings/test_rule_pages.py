"""The Recording rules page: admins add, change and remove rules in the portal, each audited."""

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from members.models import Department
from recordings.models import RecordingRule
from recordings.selectors import recording_wanted

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_adds_a_department_rule_that_decides_its_calls(staff_client, member, settings):
    settings.RECORDING_ENABLED = True
    sales = Department.objects.create(name="Sales")
    member.department = sales
    member.save()

    response = staff_client.post(
        reverse("recording-rule-list"),
        {"scope": "department", "department": sales.pk, "record": "0"},
    )

    assert response.status_code == 302
    rule = RecordingRule.objects.get()
    assert (rule.scope, rule.department, rule.record) == ("department", sales, False)
    assert recording_wanted(member=member) is False
    entry = AuditLogEntry.objects.get(object_type="RecordingRule")
    assert entry.action == "create" and entry.after["department"] == "Sales"
    page = staff_client.get(reverse("recording-rule-list")).content.decode()
    assert "Department Sales" in page and "Not recorded" in page


def test_a_rule_needs_its_target_and_only_one_per_target(staff_client):
    RecordingRule.objects.create(scope="enterprise", record=True)

    missing = staff_client.post(reverse("recording-rule-list"), {"scope": "member", "record": "1"})
    twice = staff_client.post(
        reverse("recording-rule-list"), {"scope": "enterprise", "record": "0"}
    )

    assert missing.status_code == 400 and "Choose the member" in missing.content.decode()
    assert twice.status_code == 400 and "already a rule" in twice.content.decode()
    assert RecordingRule.objects.count() == 1


def test_an_admin_changes_and_removes_a_rule(staff_client):
    rule = RecordingRule.objects.create(scope="enterprise", record=True)

    changed = staff_client.post(
        reverse("recording-rule-edit", args=[rule.pk]), {"scope": "enterprise", "record": "0"}
    )
    rule.refresh_from_db()
    removed = staff_client.post(reverse("recording-rule-delete", args=[rule.pk]))

    assert changed.status_code == 302 and rule.record is False
    assert removed.status_code == 302 and not RecordingRule.objects.exists()
    actions = list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["update", "remove"]


@pytest.mark.parametrize(("record_field", "note"), [("", True), ("record", False)])
def test_the_page_says_when_the_operator_decides(staff_client, settings, record_field, note):
    settings.OPERATOR_RECORD_FIELD = record_field

    page = staff_client.get(reverse("recording-rule-list")).content.decode()

    assert ("the operator decides which calls are recorded" in page) is note


def test_only_admins_change_rules(client, employee):
    rule = RecordingRule.objects.create(scope="enterprise", record=True)
    client.force_login(employee)

    assert client.get(reverse("recording-rule-list")).status_code == 403
    assert client.post(reverse("recording-rule-delete", args=[rule.pk])).status_code == 403
    assert RecordingRule.objects.exists()
