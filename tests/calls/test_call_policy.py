"""What may be called, and how often: denied prefixes, international calls by policy, one call in
progress per member, and a per-user rate limit. A refused call is never saved or dialled."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from kombu.exceptions import OperationalError as KombuOperationalError
from rest_framework.test import APIClient

from calls.models import Call
from tests.conftest import api_client_for
from tests.reliability import record

CALLS = "api-call-list"


@pytest.fixture(autouse=True)
def _begins_recorded(monkeypatch) -> list[int]:
    """No operator: these tests are about whether a call may be placed at all."""
    enqueued: list[int] = []
    monkeypatch.setattr(
        "calls.tasks.call_begin_task.apply_async",
        lambda args, **options: enqueued.extend(args),
    )
    return enqueued


@pytest.fixture
def limits(settings):
    """The production defaults, which tests/conftest.py lifts for every other test."""
    settings.CALL_MAX_ACTIVE_PER_MEMBER = 1
    settings.CALL_RATE_LIMIT = 10
    settings.CALL_RATE_WINDOW = 60
    return settings


def place(api, callee: str):
    return api.post(reverse(CALLS), {"callee": callee}, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("callee", ["+979123456789", "+881612345678"])
def test_a_denied_prefix_is_refused(api, member, callee):
    response = place(api, callee)

    assert response.status_code == 400
    assert "not allowed by the enterprise's policy" in response.json()["callee"][0]
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_deny_list_is_configurable(api, member, settings):
    settings.CALL_DENIED_PREFIXES = ["+86138000000"]

    refused = place(api, "+8613800000001")
    allowed = place(api, "+8613900000001")

    assert refused.status_code == 400
    assert allowed.status_code == 202
    assert list(Call.objects.values_list("callee", flat=True)) == ["+8613900000001"]


@pytest.mark.django_db
def test_international_calls_are_refused_unless_allowed(api, member, settings):
    refused = place(api, "+14155550123")

    assert refused.status_code == 400
    assert "International calls are not allowed" in refused.json()["callee"][0]
    assert not Call.objects.exists()

    settings.CALL_ALLOW_INTERNATIONAL = True
    assert place(api, "+14155550123").status_code == 202


@pytest.mark.django_db
def test_one_call_in_progress_per_member(api, member, limits):
    first = place(api, "+8613800000001")
    second = place(api, "+8613800000002")

    assert first.status_code == 202
    assert second.status_code == 400
    assert "already have a call in progress" in second.json()["detail"]
    assert Call.objects.count() == 1

    # Once the first has ended (or has an unknown outcome), the next may go.
    Call.objects.update(status=Call.Status.UNKNOWN)
    assert place(api, "+8613800000002").status_code == 202


@pytest.mark.django_db
def test_the_page_says_why_a_second_call_is_refused(client, employee, member, contact, limits):
    client.force_login(employee)
    client.post(reverse("call-start"), {"contact": contact.pk})

    response = client.post(reverse("call-start"), {"contact": contact.pk}, follow=True)

    assert "already have a call in progress" in response.content.decode()
    assert Call.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_clicks_place_one_call(employee, member, limits):
    """Eight requests at once from one member: the member's row lock lets exactly one through."""
    token = api_client_for(employee)._credentials
    start = threading.Barrier(8, timeout=30)
    answers: list[int] = []

    def click() -> None:
        try:
            api = APIClient()
            api.credentials(**token)
            start.wait()
            answers.append(place(api, "+8613800000001").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == [202] + [400] * 7
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_too_many_calls_in_a_minute_get_429_with_retry_after(api, member, limits):
    limits.CALL_MAX_ACTIVE_PER_MEMBER = 0
    limits.CALL_RATE_LIMIT = 3

    answers = [place(api, f"+861380000000{n}").status_code for n in range(1, 5)]

    assert answers == [202, 202, 202, 429]
    refused = place(api, "+8613800000009")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Too many calls" in refused.json()["detail"]
    assert Call.objects.count() == 3


@pytest.mark.django_db
def test_the_rate_limit_is_per_user(api, member, teammate, teammate_member, limits):
    limits.CALL_MAX_ACTIVE_PER_MEMBER = 0
    limits.CALL_RATE_LIMIT = 1
    place(api, "+8613800000001")

    assert place(api, "+8613800000002").status_code == 429
    assert place(api_client_for(teammate), "+8613800000002").status_code == 202


@pytest.mark.django_db(transaction=True)  # on_commit runs inside the request, as in production
@pytest.mark.reliability
def test_a_call_the_broker_cannot_take_fails_at_once_saying_so(api, member, monkeypatch):
    """The broker away when a call is placed: nothing would ever dial it, so it fails now, and
    the caller hears 503 (try again), not a 202 for a call that will sit in `queued`."""

    def broker_down(args: tuple, **options: object) -> None:
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("calls.tasks.call_begin_task.apply_async", broker_down)

    response = place(api, "+8613800000001")

    assert response.status_code == 503
    assert "nothing was dialled" in response.json()["detail"]
    call = Call.objects.get()
    assert (call.status, call.reason) == ("failed", "NotPlaced")
    assert "nothing was dialled" in call.error_message
    record("operator faults", injected=1, survived=1)
