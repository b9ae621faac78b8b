"""Calls the operator never finished reporting on: marked `unknown`, the admins told, and settled
by an admin by hand (ended with its talk time, or failed), billed once and audited."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditLogEntry
from calls.exceptions import CallNotAllowed
from calls.models import Call
from calls.services.outcomes import Settlement, call_settle, calls_expire_silent
from members.models import UsageEntry
from tests.calls.helpers import CALLEE, CALLER, DISCONNECTED, IDENTIFIER, call_in, notify
from tests.reliability import record

pytestmark = [pytest.mark.django_db, pytest.mark.reliability]


@pytest.fixture
def unknown_call(member) -> Call:
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=CALLER,
        callee=CALLEE,
        status=Call.Status.UNKNOWN,
        callidentifier=IDENTIFIER,
        error_message="The operator never reported how this call ended.",
    )
    return call


def test_a_silent_call_becomes_unknown_and_the_admins_are_mailed(member, admin_user, settings):
    admin_user.email = "boss@example.com"
    admin_user.save()
    settings.CALL_RINGING_TIMEOUT = 600
    silent = call_in(member, "calling_callee", quiet_for=timedelta(seconds=700))

    assert calls_expire_silent() == 1

    assert Call.objects.get(pk=silent.pk).status == "unknown"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@example.com"]
    assert f"/calls/{silent.pk}/" in mail.outbox[0].body
    calls_expire_silent()
    assert len(mail.outbox) == 1  # told once, not on every sweep
    record("operator faults", injected=1, survived=1)


def test_an_admin_settles_an_unknown_call_as_ended_billed_once_and_audited(
    unknown_call, admin_user
):
    call = call_settle(
        actor=admin_user, call_id=unknown_call.pk, outcome=Settlement.ENDED, duration_seconds=61
    )

    assert (call.status, call.reason, call.duration_seconds) == ("ended", "SettledByHand", 61)
    assert UsageEntry.objects.get(call=call).billed_minutes == 2  # 61 s: two started minutes
    entry = AuditLogEntry.objects.get(action="settle")
    assert (entry.actor, entry.object_type, entry.object_id) == (admin_user, "Call", str(call.pk))
    assert entry.before["status"] == "unknown"
    assert (entry.after["status"], entry.after["duration_seconds"]) == ("ended", 61)


def test_a_late_disconnected_after_settling_changes_nothing(client, unknown_call, admin_user):
    call_settle(
        actor=admin_user, call_id=unknown_call.pk, outcome=Settlement.ENDED, duration_seconds=61
    )

    notify(client, DISCONNECTED)

    call = Call.objects.get(pk=unknown_call.pk)
    assert (call.status, call.duration_seconds) == ("ended", 61)
    assert UsageEntry.objects.filter(call=call).count() == 1
    record("debits", expected=1, made=UsageEntry.objects.filter(call=call).count(), double=0)


def test_settling_as_failed_bills_nothing(unknown_call, admin_user):
    call = call_settle(actor=admin_user, call_id=unknown_call.pk, outcome=Settlement.FAILED)

    assert (call.status, call.reason) == ("failed", "SettledByHand")
    assert not UsageEntry.objects.exists()
    assert AuditLogEntry.objects.get(action="settle").after["status"] == "failed"


@pytest.mark.parametrize("status", ["connected", "ended", "failed"])
def test_only_an_unknown_call_can_be_settled(member, admin_user, status):
    call = call_in(member, status, quiet_for=timedelta(0))

    with pytest.raises(CallNotAllowed):
        call_settle(actor=admin_user, call_id=call.pk, outcome=Settlement.FAILED)

    assert Call.objects.get(pk=call.pk).status == status
    assert not AuditLogEntry.objects.filter(action="settle").exists()


def test_the_admin_settles_from_the_call_page(client, unknown_call, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("call-detail", args=[unknown_call.pk]))
    assert "Settle this call by hand" in page.content.decode()

    response = client.post(
        reverse("call-settle", args=[unknown_call.pk]),
        {"outcome": "ended", "duration_seconds": "125"},
    )

    assert response.status_code == 302
    assert Call.objects.get(pk=unknown_call.pk).duration_seconds == 125


def test_a_talk_time_is_needed_to_settle_as_ended(client, unknown_call, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("call-settle", args=[unknown_call.pk]), {"outcome": "ended"})

    assert response.status_code == 400
    assert "talk time in seconds" in response.content.decode()
    assert Call.objects.get(pk=unknown_call.pk).status == "unknown"


def test_the_employee_sees_no_settle_form_and_may_not_settle(client, unknown_call, employee):
    client.force_login(employee)

    page = client.get(reverse("call-detail", args=[unknown_call.pk]))
    response = client.post(reverse("call-settle", args=[unknown_call.pk]), {"outcome": "failed"})

    assert "Settle this call by hand" not in page.content.decode()
    assert response.status_code == 403
    assert Call.objects.get(pk=unknown_call.pk).status == "unknown"


def test_the_audit_log_page_shows_the_settlement(client, unknown_call, admin_user):
    call_settle(
        actor=admin_user, call_id=unknown_call.pk, outcome=Settlement.ENDED, duration_seconds=61
    )
    client.force_login(admin_user)

    page = client.get(reverse("audit-log")).content.decode()

    assert "Settled by hand" in page
    assert "Outcome unknown" in page and "61" in page
