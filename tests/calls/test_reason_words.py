"""A call's reason and length in words, told to whoever reads them: "you did not answer" to the
employee who placed the call, "caller did not answer" to an admin or finance reading it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from calls.forms import CallHistoryForm
from calls.history import call_history_rows
from calls.models import Call
from calls.selectors import (
    REASON_LABELS,
    call_as_seen_by,
    call_reason_label,
    call_status_label,
    duration_display,
    reason_label,
)
from members.pool.ledger import usage_record
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

CHINESE = "zh-CN,zh;q=0.9"


@pytest.fixture
def finance_user(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_usage_report"))
    user.groups.add(group)
    return user


def _ended(member, reason: str, seconds: int = 0) -> Call:
    return Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee="+8613800000001",
        callee_name="Li Wei",
        status=Call.Status.ENDED,
        reason=reason,
        duration_seconds=seconds,
        ended_at=timezone.now(),
    )


def test_every_reason_has_words_for_its_caller_and_for_others():
    assert REASON_LABELS["CallerNoAnswer"].to_caller != REASON_LABELS["CallerNoAnswer"].to_others
    for code in REASON_LABELS:
        assert reason_label(code, to_caller=True)
        assert reason_label(code, to_caller=False)


def test_a_reason_reads_in_the_first_person_to_the_caller_and_third_to_others():
    with translation.override("zh-hans"):
        assert reason_label("CallerNoAnswer", to_caller=True) == "您未接听"
        assert reason_label("CallerNoAnswer", to_caller=False) == "主叫未接听"
        assert reason_label("CallerBusy", to_caller=False) == "主叫忙线"
        assert reason_label("CalleeBusy", to_caller=False) == "被叫忙线"
    assert reason_label("CallerNoAnswer", to_caller=False) == "caller did not answer"
    # A code the portal has no words for comes back as it came.
    assert reason_label("NewOperatorCode", to_caller=False) == "NewOperatorCode"


def test_the_reader_decides_the_person(member, admin_user, employee):
    call = _ended(member, "CallerNoAnswer")

    assert call_reason_label(call, reader=employee) == "you did not answer"
    assert call_reason_label(call, reader=admin_user) == "caller did not answer"


def test_the_call_page_tells_an_admin_and_finance_of_the_caller(
    client, member, employee, admin_user, finance_user
):
    call = _ended(member, "CallerNoAnswer")
    url = reverse("call-detail", args=[call.pk])

    pages = {}
    for user in (employee, admin_user, finance_user):
        client.force_login(user)
        pages[user.username] = client.get(url, HTTP_ACCEPT_LANGUAGE=CHINESE).content.decode()

    assert "您未接听" in pages["wang"]
    for reader in ("boss", "zhou"):
        assert "主叫未接听" in pages[reader]
        assert "您未接听" not in pages[reader]


def test_the_call_page_status_while_ringing_the_caller_names_them_to_others(member, admin_user):
    call = _ended(member, "")
    call.status = Call.Status.CALLING_CALLER

    assert call_status_label(call) == "Calling you…"
    assert call_status_label(call_as_seen_by(admin_user, call)) == "Calling Wang Fang…"


def test_the_call_log_rows_and_reason_filter_speak_to_their_reader(
    client, member, employee, admin_user
):
    call = _ended(member, "CalleeBusy", seconds=65)

    with translation.override("zh-hans"):
        (own,) = call_history_rows(user=employee, calls=[call])
        (others,) = call_history_rows(user=admin_user, calls=[Call.objects.get(pk=call.pk)])
        employee_filter = dict(CallHistoryForm({}, sees_all=False).fields["reason"].choices)
        admin_filter = dict(CallHistoryForm({}, sees_all=True).fields["reason"].choices)

    assert (own.reason, own.status_label) == ("对方忙线", "已结束（对方忙线，1分5秒）")
    assert (others.reason, others.status_label) == ("被叫忙线", "已结束（被叫忙线，1分5秒）")
    # Words only, in the reader's person: no operator code ("CalleeBusy (busy)").
    assert employee_filter["CallerNoAnswer"] == "您未接听"
    assert admin_filter["CallerNoAnswer"] == "主叫未接听"
    assert not any("Caller" in str(label) for label in admin_filter.values())


def test_the_finance_drill_down_tells_the_reason_of_the_caller(client, member, finance_user):
    call = _ended(member, "CalleeBusy", seconds=30)  # connected, then the line dropped
    with transaction.atomic():
        usage_record(call=call)
    day = timezone.localdate(call.created_at).isoformat()
    client.force_login(finance_user)

    page = client.get(
        reverse("report-calls"), {"from": day, "to": day}, HTTP_ACCEPT_LANGUAGE=CHINESE
    )

    assert page.status_code == 200
    assert "被叫忙线" in page.content.decode()


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (45, "45 s", "45秒"),
        (65, "1 min 05 s", "1分5秒"),
        (125, "2 min 05 s", "2分5秒"),
        (3725, "1 h 02 min 05 s", "1小时2分5秒"),
    ],
)
def test_a_duration_reads_in_each_languages_way(seconds, english, chinese):
    assert duration_display(seconds) == english
    with translation.override("zh-hans"):
        assert duration_display(seconds) == chinese


def test_the_api_tells_an_admins_token_of_the_caller(member, employee, admin_user):
    call = _ended(member, "CallerNoAnswer")
    url = f"/api/v1/calls/{call.pk}/"

    own = api_client_for(employee).get(url).json()["status_label"]
    others = api_client_for(admin_user).get(url).json()["status_label"]

    assert (own, others) == ("Ended (you did not answer)", "Ended (caller did not answer)")
