"""Finance follow a report to the call behind a figure: its page opens, to read only, with its
numbers masked as on every report; its recording only with the permission to hear every call."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from members.pool.ledger import usage_record
from tests.recordings.conftest import ended_call, stored_recording

pytestmark = pytest.mark.django_db

CALLEE = "+8613812348653"


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    user.groups.add(Group.objects.get(name="Finance"))
    return user


@pytest.fixture
def recorded(member) -> Call:
    call = ended_call(member, callee=CALLEE)
    stored_recording(call)
    return call


def test_the_report_links_each_call_to_its_page(client, finance, recorded):
    usage_record(call=recorded)
    client.force_login(finance)
    day = timezone.localtime(recorded.ended_at).date()

    report = client.get(
        reverse("report-calls"), {"member": recorded.member_id, "from": day, "to": day}
    )

    assert reverse("call-detail", args=[recorded.pk]) in report.content.decode()


def test_finance_read_the_call_with_its_numbers_masked(client, finance, recorded):
    client.force_login(finance)

    page = client.get(reverse("call-detail", args=[recorded.pk])).content.decode()

    assert "138****8653" in page
    assert "8653" in page and "12348653" not in page and "1234 8653" not in page
    assert "139****5673" in page  # the caller too
    assert reverse("api-call-recording", args=[recorded.pk]) not in page


def test_with_the_permission_to_hear_every_call_finance_hear_it(client, finance, recorded):
    finance.user_permissions.add(Permission.objects.get(codename="access_all_recordings"))
    client.force_login(finance)

    page = client.get(reverse("call-detail", args=[recorded.pk])).content.decode()

    assert reverse("api-call-recording", args=[recorded.pk]) in page
    assert "12348653" not in page


def test_finance_cannot_hang_up_a_live_call(client, finance, member):
    live = Call.objects.create(
        member=member,
        sponsor="01052680000",
        caller=member.phone_number,
        callee=CALLEE,
        status=Call.Status.CONNECTED,
        callidentifier="LIVE1",
        connected_at=timezone.now() - timedelta(seconds=30),
    )
    client.force_login(finance)

    page = client.get(reverse("call-detail", args=[live.pk])).content.decode()
    hang_up = client.post(reverse("call-hangup", args=[live.pk]))

    assert reverse("call-hangup", args=[live.pk]) not in page
    assert hang_up.status_code == 404
    live.refresh_from_db()
    assert live.hangup_requested_at is None


def test_the_caller_still_sees_the_numbers_whole(client, employee, recorded):
    client.force_login(employee)

    page = client.get(reverse("call-detail", args=[recorded.pk])).content.decode()

    assert "138 1234 8653" in page
    assert reverse("api-call-recording", args=[recorded.pk]) in page
