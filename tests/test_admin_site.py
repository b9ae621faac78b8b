"""Django's admin, where it is still used: calls and the notifications kept about them can be read
but never made, changed or deleted by hand; a business number typed there is kept as the
operator registered it, as on the portal's own page."""

import pytest
from django.urls import reverse

from calls.models import Call, CallEvent
from members.models import BusinessNumber

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(member) -> Call:
    call = Call.objects.create(
        member=member, sponsor="01052680000", caller=member.phone_number, callee="+8613800000001"
    )
    CallEvent.objects.create(call=call, callidentifier="A1", body="{}", outcome="applied")
    return call


@pytest.mark.parametrize("model", ["call", "callevent"])
def test_calls_and_their_events_are_read_only(admin_client, call, model):
    obj = call if model == "call" else call.events.get()

    listed = admin_client.get(reverse(f"admin:calls_{model}_changelist"))
    add = admin_client.get(reverse(f"admin:calls_{model}_add"))
    delete = admin_client.post(
        reverse(f"admin:calls_{model}_delete", args=[obj.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse(f"admin:calls_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )

    assert listed.status_code == 200
    assert add.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_a_business_number_typed_in_the_admin_is_kept_as_registered(admin_client):
    response = admin_client.post(
        reverse("admin:members_businessnumber_add"),
        {"phone_number": "01052680000", "label": "Head office"},
    )

    assert response.status_code == 302
    assert BusinessNumber.objects.get().phone_number == "01052680000"


def test_the_admin_refuses_a_business_number_in_another_form_of_one_there(admin_client):
    BusinessNumber.objects.create(phone_number="01052680000")

    response = admin_client.post(
        reverse("admin:members_businessnumber_add"), {"phone_number": "+861052680000"}
    )

    assert response.status_code == 200  # the form again, with the error
    assert "already in use" in response.content.decode()
    assert BusinessNumber.objects.count() == 1


def test_the_django_admin_is_for_superusers_only(client, django_user_model):
    from django.contrib.auth.models import Group

    from members import roles

    staff = django_user_model.objects.create_user(username="chen", password="pw-chen-123")
    staff.groups.add(Group.objects.get(name=roles.ADMIN))
    client.force_login(staff)

    index = client.get(reverse("admin:index"))
    login = client.get(reverse("admin:login"))

    assert index.status_code == 302  # to the admin's login, which refuses a non-superuser
    assert login.status_code == 403
    assert client.get(reverse("admin:calls_call_changelist")).status_code == 302


def test_anonymous_people_log_in_on_the_portals_page(client):
    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("login"))


@pytest.mark.parametrize("model", ["usageentry", "minutepool", "poolalert"])
def test_the_ledger_is_read_only(admin_client, model):
    assert admin_client.get(reverse(f"admin:members_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:members_{model}_add")).status_code == 403
