"""After a call (calls.services.wrapup): its caller, or an admin, notes how it went, an outcome
from the admins' list and notes; audited, shown and filtered in the history, exported, in the
API's call object."""

import csv
import importlib
import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditLogEntry
from calls.models import Call, CallOutcome
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

SEEDING = importlib.import_module("calls.migrations.0008_call_outcome_notes")


@pytest.fixture(autouse=True)
def outcomes_seeded() -> None:
    """The migration's seed, again: a transactional test run before this one empties the tables."""
    SEEDING.outcomes_seed(apps, None)


@pytest.fixture
def ended(member) -> Call:
    return Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        status=Call.Status.ENDED,
        reason="HangUp",
        duration_seconds=42,
        ended_at=timezone.now(),
    )


@pytest.fixture
def finance_user(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_usage_report"))
    user.groups.add(group)
    return user


def outcome(code: str) -> CallOutcome:
    return CallOutcome.objects.get(code=code)


def note(client, user, call: Call, **data):
    client.force_login(user)
    return client.post(reverse("call-wrapup", args=[call.pk]), data)


def test_the_four_outcomes_are_seeded_in_both_languages():
    CallOutcome.objects.all().delete()
    SEEDING.outcomes_seed(apps, None)

    seeded = list(CallOutcome.objects.values_list("code", "name", "name_zh_hans"))

    assert seeded == [
        ("reached", "Reached", "已接通"),
        ("voicemail", "Voicemail", "语音信箱"),
        ("wrong_number", "Wrong number", "号码错误"),
        ("call_back", "Call back", "需回电"),
    ]


def test_the_caller_notes_how_it_went_and_the_audit_log_keeps_it(client, employee, ended):
    response = note(
        client, employee, ended, outcome=outcome("call_back").pk, notes="  Back Friday  "
    )

    assert response.status_code == 302
    ended.refresh_from_db()
    assert (ended.outcome.code, ended.notes) == ("call_back", "Back Friday")
    entry = AuditLogEntry.objects.get(object_type="Call", object_id=str(ended.pk))
    assert entry.actor == employee
    assert entry.before == {"outcome": "", "notes": ""}
    assert entry.after == {"outcome": "call_back", "notes": "Back Friday"}
    page = client.get(reverse("call-detail", args=[ended.pk])).content.decode()
    assert 'id="wrapup-outcome"' in page
    assert "Back Friday" in page


def test_saving_the_same_again_writes_no_audit_entry(client, employee, ended):
    note(client, employee, ended, outcome=outcome("reached").pk, notes="ok")
    note(client, employee, ended, outcome=outcome("reached").pk, notes="ok")

    assert AuditLogEntry.objects.filter(object_type="Call").count() == 1


def test_an_admin_may_note_another_callers_call(client, admin_user, ended):
    assert note(client, admin_user, ended, outcome=outcome("voicemail").pk).status_code == 302

    ended.refresh_from_db()
    assert ended.outcome.code == "voicemail"


@pytest.mark.parametrize("who", ["teammate", "finance_user"])
def test_anyone_else_gets_404_and_nothing_changes(request, client, ended, who):
    user = request.getfixturevalue(who)

    response = note(client, user, ended, outcome=outcome("reached").pk, notes="mine")

    assert response.status_code == 404
    ended.refresh_from_db()
    assert (ended.outcome, ended.notes) == (None, "")


def test_finance_read_the_outcome_without_a_form(client, finance_user, ended):
    ended.outcome, ended.notes = outcome("wrong_number"), "Not them"
    ended.save()
    client.force_login(finance_user)

    page = client.get(reverse("call-detail", args=[ended.pk])).content.decode()

    assert "Wrong number" in page
    assert "Not them" in page
    assert 'id="wrapup-outcome"' not in page


def test_a_live_call_has_no_form_and_is_refused(client, employee, ended):
    Call.objects.filter(pk=ended.pk).update(status=Call.Status.CONNECTED, ended_at=None)
    client.force_login(employee)

    page = client.get(reverse("call-detail", args=[ended.pk])).content.decode()
    response = note(client, employee, ended, outcome=outcome("reached").pk)

    assert 'id="wrapup-outcome"' not in page
    assert response.status_code == 400
    assert "once it is over" in response.content.decode()
    ended.refresh_from_db()
    assert ended.outcome is None


def test_a_deactivated_outcome_is_not_offered_unless_the_call_has_it(client, employee, ended):
    voicemail = outcome("voicemail")
    voicemail.is_active = False
    voicemail.save()

    response = note(client, employee, ended, outcome=voicemail.pk)
    assert response.status_code == 400
    ended.outcome = voicemail
    ended.save()
    page = client.get(reverse("call-detail", args=[ended.pk])).content.decode()

    assert f'<option value="{voicemail.pk}" selected>Voicemail</option>' in page
    # Kept while the notes change.
    assert note(client, employee, ended, outcome=voicemail.pk, notes="x").status_code == 302


def test_notes_too_long_are_refused(client, employee, ended):
    response = note(client, employee, ended, notes="x" * 2001)

    assert response.status_code == 400
    ended.refresh_from_db()
    assert ended.notes == ""


def test_the_history_shows_filters_and_exports_the_outcome(client, employee, member, ended):
    other = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000002",
        status=Call.Status.FAILED,
        reason="CalleeBusy",
    )
    ended.outcome, ended.notes = outcome("call_back"), "Friday"
    ended.save()
    client.force_login(employee)

    every = client.get(reverse("call-list")).content.decode()
    only = client.get(reverse("call-list"), {"outcome": outcome("call_back").pk}).content.decode()
    export = client.get(reverse("call-export-csv"), {"outcome": outcome("call_back").pk})

    assert 'class="outcome outcome-call_back">Call back<' in every
    assert f'data-call="{other.pk}"' in every
    assert f'data-call="{ended.pk}"' in only
    assert f'data-call="{other.pk}"' not in only
    header, *rows = csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")))
    assert header[-3:] == ["Outcome", "Outcome code", "Notes"]
    assert [row[-3:] for row in rows] == [["Call back", "call_back", "Friday"]]


def test_the_outcome_reads_in_chinese_on_a_chinese_page(client, employee, ended):
    ended.outcome = outcome("reached")
    ended.save()
    client.force_login(employee)

    with translation.override("zh-hans"):
        body = client.get(reverse("call-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "已接通" in body


def test_the_api_call_object_has_the_outcome_code_and_notes(employee, ended):
    ended.outcome, ended.notes = outcome("voicemail"), "Left a message"
    ended.save()

    data = api_client_for(employee).get(f"/api/v1/calls/{ended.pk}/").json()

    assert (data["outcome"], data["notes"]) == ("voicemail", "Left a message")


# The list of outcomes, kept by the admins


def test_an_admin_adds_an_outcome_with_a_code_for_programs(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("call-outcome-list"),
        {"name": "Left a message", "name_zh_hans": "已留言", "is_active": "on"},
    )

    assert response.status_code == 302
    added = CallOutcome.objects.get(name="Left a message")
    assert (added.code, added.name_zh_hans, added.is_active) == ("left_a_message", "已留言", True)
    assert added.position > outcome("call_back").position
    entry = AuditLogEntry.objects.get(object_type="CallOutcome")
    assert (entry.action, entry.before) == ("create", None)
    page = client.get(reverse("call-outcome-list")).content.decode()
    assert 'data-outcome="left_a_message"' in page


def test_a_name_taken_is_refused_next_to_the_field(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("call-outcome-list"), {"name": "voicemail"})

    assert response.status_code == 400
    assert "There is already an outcome called voicemail." in response.content.decode()
    assert CallOutcome.objects.count() == 4


def test_an_admin_renames_and_deactivates_an_outcome_keeping_its_code(
    client, admin_user, employee, ended
):
    reached = outcome("reached")
    ended.outcome = reached
    ended.save()
    client.force_login(admin_user)

    response = client.post(
        reverse("call-outcome-edit", args=[reached.pk]),
        {"name": "Talked", "name_zh_hans": "已通话"},
    )

    assert response.status_code == 302
    reached.refresh_from_db()
    assert (reached.code, reached.name, reached.is_active) == ("reached", "Talked", False)
    entry = AuditLogEntry.objects.get(object_type="CallOutcome")
    assert entry.after == {"name": "Talked", "name_zh_hans": "已通话", "is_active": False}
    # No longer offered to a call without it, still shown on the one that has it.
    client.force_login(employee)
    other = Call.objects.create(
        member=ended.member,
        sponsor=ended.sponsor,
        caller=ended.caller,
        callee=ended.callee,
        status=Call.Status.FAILED,
    )
    assert (
        f'value="{reached.pk}"'
        not in client.get(reverse("call-detail", args=[other.pk])).content.decode()
    )
    assert (
        f'value="{reached.pk}" selected'
        in client.get(reverse("call-detail", args=[ended.pk])).content.decode()
    )


def test_the_outcomes_page_is_in_the_members_menu(client, admin_user):
    client.force_login(admin_user)

    body = client.get(reverse("department-list")).content.decode()

    assert f'href="{reverse("call-outcome-list")}"' in body
