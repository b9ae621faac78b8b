"""The calls and contacts API: who sees what, and clear errors for bad input."""

import pytest
from django.urls import reverse

from calls.models import Call, Contact
from members.models import Member
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def begins(monkeypatch) -> list[int]:
    """Record begin tasks instead of calling an operator: these tests are about the API."""
    enqueued: list[int] = []
    monkeypatch.setattr(
        "calls.tasks.call_begin_task.apply_async",
        lambda args, **options: enqueued.extend(args),
    )
    return enqueued


def make_call(member: Member, **fields) -> Call:
    return Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        **fields,
    )


def test_it_starts_a_call_and_enqueues_the_begin_after_commit(
    api, member, begins, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-call-list"), {"callee": "138 0000 0001"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["callee"] == "+8613800000001"
    assert body["member"] == member.pk
    assert body["recording"] is None
    assert begins == [body["id"]]


def test_it_calls_a_contact_by_id(api, member, contact, begins):
    response = api.post(reverse("api-call-list"), {"contact": contact.pk}, format="json")

    assert response.status_code == 202
    assert response.json()["callee"] == contact.phone_number
    assert response.json()["callee_name"] == "Li Wei"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"callee": "12ab"}, "callee", "not a phone number"),
        ({}, "callee", "whom to call"),
        ({"callee": "+8613912345673"}, "callee", "your own number"),
        ({"callee": "+8613800000001", "member": 999999}, "member", "your own number"),
        ({"contact": 999999}, "contact", "no contact"),
    ],
)
def test_bad_input_gets_a_clear_error_and_no_call(api, member, begins, payload, field, words):
    response = api.post(reverse("api-call-list"), payload, format="json")

    assert response.status_code == 400
    assert words.lower() in response.json()[field][0].lower()
    assert not Call.objects.exists()
    assert begins == []


@pytest.mark.parametrize("status", [Member.Status.SUSPENDED, Member.Status.REMOVED])
def test_a_suspended_or_removed_member_cannot_call(api, member, begins, status):
    Member.objects.filter(pk=member.pk).update(status=status)

    response = api.post(reverse("api-call-list"), {"callee": "+8613800000001"}, format="json")

    assert response.status_code == 400
    assert status in response.json()["member"][0]
    assert not Call.objects.exists()


def test_a_user_without_a_member_number_is_told_so(teammate, begins):
    response = api_client_for(teammate).post(
        reverse("api-call-list"), {"callee": "+8613800000001"}, format="json"
    )

    assert response.status_code == 400
    assert "no member number" in response.json()["member"][0]


def test_no_one_calls_from_someone_elses_number(api, member, teammate_member, begins):
    response = api.post(
        reverse("api-call-list"),
        {"callee": "+8613800000001", "member": teammate_member.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "your own number" in response.json()["member"][0]


def test_an_admin_may_call_from_any_member(admin_user, member, begins):
    response = api_client_for(admin_user).post(
        reverse("api-call-list"), {"callee": "+8613800000001", "member": member.pk}, format="json"
    )

    assert response.status_code == 202
    assert response.json()["caller"] == member.phone_number


def test_owner_sees_the_call_teammate_gets_404_admin_sees_it(
    api, member, teammate, admin_user, django_assert_max_num_queries
):
    call = make_call(member)

    assert api.get(reverse("api-call-detail", args=[call.pk])).status_code == 200
    outsider = api_client_for(teammate)
    assert outsider.get(reverse("api-call-detail", args=[call.pk])).status_code == 404
    assert outsider.post(reverse("api-call-hangup", args=[call.pk])).status_code == 404
    assert outsider.get(reverse("api-call-list")).json()["count"] == 0
    admin = api_client_for(admin_user)
    assert admin.get(reverse("api-call-detail", args=[call.pk])).status_code == 200


def test_the_call_list_takes_a_fixed_number_of_queries(api, member, django_assert_num_queries):
    for _ in range(5):
        make_call(member)

    with django_assert_num_queries(3):  # token user, count, page
        response = api.get(reverse("api-call-list"))

    assert response.json()["count"] == 5


def test_anonymous_requests_are_refused(client, member):
    assert client.get(reverse("api-call-list")).status_code in (401, 403)


def test_hanging_up_a_queued_call_cancels_it_without_the_operator(api, member):
    call = make_call(member)

    response = api.post(reverse("api-call-hangup", args=[call.pk]))

    assert response.status_code == 202
    call.refresh_from_db()
    assert (call.status, call.reason, call.billed_minutes) == ("ended", "Cancelled", 0)


def test_contacts_are_private_and_numbers_normalised(api, employee, teammate):
    created = api.post(
        reverse("api-contact-list"),
        {"name": "Li Wei", "phone_number": "13800000001"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["phone_number"] == "+8613800000001"

    duplicate = api.post(
        reverse("api-contact-list"), {"name": "Again", "phone_number": "+86 138 0000 0001"}
    )
    assert duplicate.status_code == 400
    bad = api.post(reverse("api-contact-list"), {"name": "Bad", "phone_number": "hello"})
    assert bad.status_code == 400 and "phone_number" in bad.json()

    outsider = api_client_for(teammate)
    assert outsider.get(reverse("api-contact-list")).json()["count"] == 0
    contact_id = created.json()["id"]
    assert outsider.get(reverse("api-contact-detail", args=[contact_id])).status_code == 404
    assert Contact.objects.get(pk=contact_id).owner == employee


def test_members_api_is_for_admins(api, admin_user):
    assert api.get(reverse("api-member-list")).status_code == 403

    admin = api_client_for(admin_user)
    created = admin.post(
        reverse("api-member-list"), {"name": "Zhou", "phone_number": "13912340001"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["phone_number"] == "+8613912340001"
    removed = admin.delete(reverse("api-member-detail", args=[created.json()["id"]]))
    assert removed.json()["status"] == "removed"
    assert Member.objects.filter(pk=created.json()["id"]).exists()


def test_the_openapi_schema_builds(client):
    response = client.get(reverse("api-schema"))

    assert response.status_code == 200
    assert b"/api/v1/calls/" in response.content
