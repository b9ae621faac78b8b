"""Which calls ask the operator for a recording: member, then department, then enterprise rule,
then the RECORDING_ENABLED setting."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from members.models import Department
from recordings.models import RecordingRule
from recordings.selectors import recording_wanted

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(member) -> Department:
    department = Department.objects.create(name="Sales")
    member.department = department
    member.save()
    return department


def test_the_setting_decides_when_there_is_no_rule(member, settings):
    settings.RECORDING_ENABLED = False
    assert recording_wanted(member=member) is False
    settings.RECORDING_ENABLED = True
    assert recording_wanted(member=member) is True


def test_the_most_specific_rule_wins(member, sales, settings):
    settings.RECORDING_ENABLED = True
    RecordingRule.objects.create(scope="enterprise", record=False)
    assert recording_wanted(member=member) is False

    RecordingRule.objects.create(scope="department", department=sales, record=True)
    assert recording_wanted(member=member) is True

    RecordingRule.objects.create(scope="member", member=member, record=False)
    assert recording_wanted(member=member) is False


def test_another_departments_rule_does_not_apply(member, sales):
    support = Department.objects.create(name="Support")
    RecordingRule.objects.create(scope="department", department=support, record=False)

    assert recording_wanted(member=member) is True


def test_another_members_rule_does_not_apply_nor_a_rule_to_no_department(
    member, teammate_member, settings
):
    settings.RECORDING_ENABLED = True
    assert member.department_id is None
    RecordingRule.objects.create(scope="member", member=teammate_member, record=False)

    assert recording_wanted(member=member) is True
    assert recording_wanted(member=teammate_member) is False


@pytest.mark.parametrize(
    "fields",
    [
        {"scope": "enterprise", "record": True},  # a second enterprise rule
        {"scope": "department", "record": True},  # a department rule without a department
    ],
)
def test_the_database_refuses_rules_that_make_no_sense(fields):
    RecordingRule.objects.create(scope="enterprise", record=False)
    with pytest.raises(IntegrityError):
        RecordingRule.objects.create(**fields)


@pytest.mark.parametrize(("record_field", "note"), [("", True), ("record", False)])
def test_the_rules_page_says_when_the_operator_decides(admin_client, settings, record_field, note):
    settings.OPERATOR_RECORD_FIELD = record_field

    page = admin_client.get(reverse("admin:recordings_recordingrule_changelist"))

    assert page.status_code == 200
    assert ("the operator decides which calls are recorded" in page.content.decode()) is note
