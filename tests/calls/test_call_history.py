"""The calls history page (/calls/): who sees which calls, its filters and search, keyset pages,
and the CSV and XLSX exports of exactly the filtered list."""

import csv
import io
import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.http import QueryDict, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from calls import selectors
from calls.forms import CallHistoryForm
from calls.history import HistoryCursor, call_history_page
from calls.models import Call, Contact
from members.models import Department, Member
from members.pool.ledger import usage_record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def make_call(
    member: Member,
    *,
    at: datetime,
    callee: str = "+8613800000001",
    callee_name: str = "",
    status: str = Call.Status.ENDED,
    reason: str = "HangUp",
    seconds: int | None = 61,
    over_limit: bool = False,
    contact: Contact | None = None,
    placed_by=None,
) -> Call:
    ended = status in {Call.Status.ENDED, Call.Status.FAILED}
    call = Call.objects.create(
        member=member,
        contact=contact,
        placed_by=placed_by,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee=callee,
        callee_name=callee_name,
        status=status,
        reason=reason,
        duration_seconds=seconds if status == Call.Status.ENDED else None,
        ended_at=at + timedelta(minutes=5) if ended else None,
        over_limit=over_limit,
    )
    # auto_now_add ignores a value given to create(): set the time the call was placed here.
    Call.objects.filter(pk=call.pk).update(created_at=at)
    call.refresh_from_db()
    if status == Call.Status.ENDED:
        with transaction.atomic():
            usage_record(call=call)
    return call


@pytest.fixture
def finance_user(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_usage_report"))
    user.groups.add(group)
    return user


@pytest.fixture
def departments() -> dict[str, Department]:
    return {
        "sales": Department.objects.create(name="Sales"),
        "support": Department.objects.create(name="Support"),
    }


@pytest.fixture
def owner_member(member, departments) -> Member:
    member.department = departments["sales"]
    member.save()
    return member


@pytest.fixture
def other_member(teammate_member, departments) -> Member:
    teammate_member.department = departments["support"]
    teammate_member.save()
    return teammate_member


def client_for(client, user):
    client.force_login(user)
    return client


def listed_ids(response) -> list[int]:
    """The calls on the page, in order, read from the links and data rows of the table."""
    body = response.content.decode()
    return [int(pk) for pk in re.findall(r'data-call="(\d+)"', body)]


def page(client, **query) -> object:
    response = client.get(reverse("call-list"), query)
    assert response.status_code == 200, response.content[:500]
    return response


# Who sees which calls


def test_it_shows_the_owner_their_own_calls_only(client, employee, owner_member, other_member):
    own = make_call(owner_member, at=local(2025, 4, 1), callee="+8613800000011")
    theirs = make_call(other_member, at=local(2025, 4, 2), callee="+8613800000022")

    response = page(client_for(client, employee))

    assert listed_ids(response) == [own.pk]
    body = response.content.decode()
    assert "138 0000 0011" in body
    assert "+8613800000022" not in body and "138 0000 0022" not in body
    assert reverse("call-detail", args=[own.pk]) in body
    assert reverse("call-detail", args=[theirs.pk]) not in body
    # Their own calls: nothing to choose between members or departments.
    assert 'name="member"' not in body


def test_it_shows_a_teammate_none_of_the_owners_calls(client, teammate, owner_member, other_member):
    own = make_call(owner_member, at=local(2025, 4, 1), callee="+8613800000011")

    response = page(client_for(client, teammate))

    assert own.pk not in listed_ids(response)
    assert listed_ids(response) == []
    assert "138 0000 0011" not in response.content.decode()


def test_it_lists_the_calls_a_user_placed_from_another_number(
    client, teammate, owner_member, other_member
):
    placed = make_call(owner_member, at=local(2025, 4, 1), placed_by=teammate)
    make_call(owner_member, at=local(2025, 4, 2))

    assert listed_ids(page(client_for(client, teammate))) == [placed.pk]


def test_it_shows_an_admin_every_call_with_whole_numbers(
    client, admin_user, owner_member, other_member
):
    first = make_call(owner_member, at=local(2025, 4, 1), callee="+8613812345678")
    second = make_call(other_member, at=local(2025, 4, 2), callee="+8613800000022")

    response = page(client_for(client, admin_user))

    assert listed_ids(response) == [second.pk, first.pk]
    body = response.content.decode()
    assert "138 1234 5678" in body
    assert reverse("call-detail", args=[first.pk]) in body
    assert 'name="member"' in body and 'name="department"' in body


def test_it_shows_finance_every_call_with_masked_numbers(
    client, finance_user, owner_member, other_member
):
    first = make_call(
        owner_member, at=local(2025, 4, 1), callee="+8613812345678", status="calling_callee"
    )
    second = make_call(other_member, at=local(2025, 4, 2), callee="+8613800000022")

    response = page(client_for(client, finance_user))

    assert listed_ids(response) == [second.pk, first.pk]
    body = response.content.decode()
    assert "+86 138****5678" in body
    assert "+8613812345678" not in body and "138 1234 5678" not in body
    assert "+8613800000022" not in body and "138 0000 0022" not in body
    # "Calling +86…" must not give the number away either.
    assert "Calling +86 138****5678…" in unescape(body)
    # Each row leads to the call's page, which opens to read, its numbers masked there too.
    assert reverse("call-detail", args=[first.pk]) in body
    call_page = client.get(reverse("call-detail", args=[first.pk])).content.decode()
    assert "+86 138****5678" in call_page and "138 1234 5678" not in call_page


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("call-list"))

    assert response.status_code == 302
    assert "/login" in response["Location"]


# Filters


def test_it_filters_by_days_in_the_enterprise_time_zone(client, admin_user, owner_member):
    make_call(owner_member, at=local(2025, 3, 31, 23, 50))  # the day before
    first = make_call(owner_member, at=local(2025, 4, 1, 0, 5))  # just after local midnight
    last = make_call(owner_member, at=local(2025, 4, 30, 23, 59))
    make_call(owner_member, at=local(2025, 5, 1, 0, 0))  # the day after

    response = page(client_for(client, admin_user), **{"from": "2025-04-01", "to": "2025-04-30"})

    assert listed_ids(response) == [last.pk, first.pk]


def test_it_refuses_a_range_that_ends_before_it_starts(client, admin_user, owner_member):
    make_call(owner_member, at=local(2025, 4, 1))

    response = client_for(client, admin_user).get(
        reverse("call-list"), {"from": "2025-04-02", "to": "2025-04-01"}
    )

    assert response.status_code == 400
    assert "The first day must not be after the last day." in response.content.decode()
    assert listed_ids(response) == []


def test_it_filters_by_member(client, admin_user, owner_member, other_member):
    make_call(owner_member, at=local(2025, 4, 1))
    theirs = make_call(other_member, at=local(2025, 4, 2))

    response = page(client_for(client, admin_user), member=other_member.pk)

    assert listed_ids(response) == [theirs.pk]


def test_it_filters_by_department(client, admin_user, owner_member, other_member, departments):
    own = make_call(owner_member, at=local(2025, 4, 1))
    make_call(other_member, at=local(2025, 4, 2))

    response = page(client_for(client, admin_user), department=departments["sales"].pk)

    assert listed_ids(response) == [own.pk]


@pytest.mark.parametrize("query", ["", "member={member}", "member=nobody&department=0"])
def test_the_member_and_department_filters_read_as_djangos_select(
    query, owner_member, other_member, departments
):
    Member.objects.create(name="O'Brien & <Sons>", phone_number="+8613912349999")
    data = QueryDict(query.format(member=other_member.pk))
    form = CallHistoryForm(data, sees_all=True)
    plain = CallHistoryForm(data, sees_all=True)
    for name in ("member", "department"):
        field = plain.fields[name]
        plain.fields[name] = forms.ModelChoiceField(
            queryset=field.queryset, required=False, empty_label=field.empty_label
        )
    assert form.is_valid() == plain.is_valid()

    for name in ("member", "department"):
        assert str(form[name]) == str(plain[name])


def test_a_deep_page_seeks_on_the_time_not_only_on_the_cursor(client, admin_user, owner_member):
    older = make_call(owner_member, at=local(2025, 4, 1))
    cursor = make_call(owner_member, at=local(2025, 4, 2))
    admin = client_for(client, admin_user)

    with CaptureQueriesContext(connection) as queries:
        response = page(admin, after=HistoryCursor.from_call(cursor).token())

    assert listed_ids(response) == [older.pk]
    listing = next(
        q["sql"]
        for q in queries
        if 'FROM "calls_call"' in q["sql"] and "LIMIT" in q["sql"] and "COUNT(" not in q["sql"]
    )
    # A bound the database can seek to on calls_call_created_id_idx, beside the OR of the cursor.
    assert '"calls_call"."created_at" <=' in listing


def test_it_filters_by_status(client, admin_user, owner_member):
    make_call(owner_member, at=local(2025, 4, 1))
    failed = make_call(owner_member, at=local(2025, 4, 2), status=Call.Status.FAILED, reason="")

    response = page(client_for(client, admin_user), status="failed")

    assert listed_ids(response) == [failed.pk]


@pytest.mark.parametrize("reason", ["CalleeBusy", "Cancelled"])
def test_it_filters_by_reason(client, admin_user, owner_member, reason):
    make_call(owner_member, at=local(2025, 4, 1), reason="HangUp")
    wanted = make_call(owner_member, at=local(2025, 4, 2), reason=reason, seconds=0)

    response = page(client_for(client, admin_user), reason=reason)

    assert listed_ids(response) == [wanted.pk]


def test_it_filters_calls_over_the_limit(client, admin_user, owner_member):
    make_call(owner_member, at=local(2025, 4, 1))
    flagged = make_call(owner_member, at=local(2025, 4, 2), over_limit=True)

    response = page(client_for(client, admin_user), over_limit="on")

    assert listed_ids(response) == [flagged.pk]
    assert "over the limit" in response.content.decode()


def test_it_refuses_an_unknown_status(client, admin_user, owner_member):
    response = client_for(client, admin_user).get(reverse("call-list"), {"status": "bogus"})

    assert response.status_code == 400


# Search


@pytest.fixture
def searchable(owner_member, employee) -> dict[str, Call]:
    contact = Contact.objects.create(
        owner=employee, name="Zhang Wei", phone_number="+8613812345678"
    )
    return {
        "by_contact": make_call(
            owner_member, at=local(2025, 4, 1), callee="+8613812345678", contact=contact
        ),
        "by_name": make_call(
            owner_member, at=local(2025, 4, 2), callee="+8613700000002", callee_name="Chen Jie"
        ),
        "landline": make_call(owner_member, at=local(2025, 4, 3), callee="+861052680000"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zhang", "by_contact"),  # the contact's name
        ("chen j", "by_name"),  # the name the call was placed to
        ("13812345678", "by_contact"),  # national form
        ("+8613812345678", "by_contact"),  # E.164
        ("138 1234 5678", "by_contact"),  # national, spaced as people write it
        ("010 5268 0000", "landline"),  # national with the trunk prefix, not in the E.164 digits
        ("+86 10 5268 0000", "landline"),
        ("12345678", "by_contact"),  # part of a number
    ],
)
def test_it_finds_calls_by_name_or_number(client, employee, searchable, text, expected):
    response = page(client_for(client, employee), search=text)

    assert listed_ids(response) == [searchable[expected].pk]


def test_it_finds_nothing_for_a_number_never_called(client, employee, searchable):
    assert listed_ids(page(client_for(client, employee), search="13999999999")) == []


def test_finance_search_by_name_but_not_by_number(client, finance_user, searchable):
    finance = client_for(client, finance_user)

    # A number search would tell them the digits the mask hides.
    assert listed_ids(page(finance, search="13812345678")) == []
    assert listed_ids(page(finance, search="zhang")) == [searchable["by_contact"].pk]


# Keyset pages


def walk(client, direction: str, response) -> list[list[int]]:
    """Follow the page's `direction` link ("Older" or "Newer") to its end; the ids of each page."""
    pages = [listed_ids(response)]
    while True:
        match = re.search(rf'href="\?([^"]*)"[^>]*>[^<]*{direction}', response.content.decode())
        if not match:
            return pages
        response = client.get(reverse("call-list") + "?" + unescape(match.group(1)))
        assert response.status_code == 200
        pages.append(listed_ids(response))


def test_keyset_pages_lose_and_repeat_no_call_when_times_are_equal(
    client, admin_user, owner_member, monkeypatch
):
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 3)
    same_time = local(2025, 4, 1, 12)
    calls = [make_call(owner_member, at=local(2025, 4, 2))]
    calls += [make_call(owner_member, at=same_time) for _ in range(7)]  # across three pages
    calls += [make_call(owner_member, at=local(2025, 3, 30)) for _ in range(2)]
    newest_first = sorted(calls, key=lambda call: (call.created_at, call.pk), reverse=True)
    expected = [call.pk for call in newest_first]
    admin = client_for(client, admin_user)

    older = walk(admin, "Older", page(admin))

    assert older == [expected[0:3], expected[3:6], expected[6:9], expected[9:10]]
    last_page = admin.get(
        reverse("call-list"), {"after": HistoryCursor.from_call(newest_first[8]).token()}
    )
    newer = walk(admin, "Newer", last_page)
    assert newer == [expected[9:10], expected[6:9], expected[3:6], expected[0:3]]


def test_keyset_pages_keep_the_filters(client, admin_user, owner_member, other_member, monkeypatch):
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 2)
    own = [make_call(owner_member, at=local(2025, 4, day)) for day in range(1, 6)]
    for day in range(1, 6):
        make_call(other_member, at=local(2025, 4, day))
    admin = client_for(client, admin_user)

    pages = walk(admin, "Older", page(admin, member=owner_member.pk))

    assert [pk for ids in pages for pk in ids] == [call.pk for call in reversed(own)]


def test_a_tampered_cursor_shows_the_newest_calls(client, admin_user, owner_member):
    newest = make_call(owner_member, at=local(2025, 4, 2))

    response = page(client_for(client, admin_user), after="not-a-cursor")

    assert listed_ids(response) == [newest.pk]


@pytest.mark.parametrize("user_fixture", ["employee", "admin_user", "finance_user"])
def test_the_page_reads_a_bounded_number_of_queries(
    request, client, owner_member, other_member, django_assert_max_num_queries, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    viewer = client_for(client, user)
    make_call(owner_member, at=local(2025, 4, 1), over_limit=True)
    # Session, user, permissions (2), the total, the rows, the filters' members, departments and
    # outcomes.
    with django_assert_max_num_queries(9):
        few = page(viewer)
    for day in range(2, 28):
        make_call(owner_member, at=local(2025, 4, day))
        make_call(other_member, at=local(2025, 4, day), status=Call.Status.FAILED, reason="")

    with django_assert_max_num_queries(9):
        many = page(viewer)

    assert len(listed_ids(many)) > len(listed_ids(few))


def test_the_cursor_round_trips_and_refuses_garbage() -> None:
    when = datetime(2025, 4, 1, 12, 0, 0, 1234, tzinfo=SHANGHAI)
    cursor = HistoryCursor("-date", when, 42)
    by_length = HistoryCursor("duration", 61, 42)
    by_member = HistoryCursor("-member", "王芳", 42)

    assert HistoryCursor.parse(cursor.token()) == cursor
    assert HistoryCursor.parse(by_length.token(), sort="duration") == by_length
    assert HistoryCursor.parse(by_member.token(), sort="-member") == by_member
    # A cursor of another sort (a link kept from before the sort changed) is none.
    assert HistoryCursor.parse(cursor.token(), sort="duration") is None
    assert HistoryCursor.parse(HistoryCursor("duration", "x", 1).token(), sort="duration") is None
    assert HistoryCursor.parse("") is None
    assert HistoryCursor.parse("%%%") is None


# Sorting, the total and the recording column


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("-date", lambda call: (call.created_at, call.pk)),
        ("date", lambda call: (call.created_at, call.pk)),
        ("-duration", lambda call: (call.duration_seconds or 0, call.pk)),
        ("duration", lambda call: (call.duration_seconds or 0, call.pk)),
        ("member", lambda call: (call.member.name, call.pk)),
        ("-member", lambda call: (call.member.name, call.pk)),
    ],
)
def test_keyset_pages_follow_each_sort_both_ways_without_loss_or_repeat(
    client, admin_user, owner_member, other_member, monkeypatch, sort, key
):
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 3)
    calls = []
    for day, seconds in enumerate([61, 61, None, 5, 61, 200, None, 5], start=1):
        member = owner_member if day % 3 else other_member
        status = Call.Status.ENDED if seconds is not None else Call.Status.FAILED
        calls.append(
            make_call(member, at=local(2025, 4, day // 2 + 1), seconds=seconds, status=status)
        )
    expected = [call.pk for call in sorted(calls, key=key, reverse=sort.startswith("-"))]
    admin = client_for(client, admin_user)
    forward = "Older" if sort == "-date" else "Next"
    backward = "Newer" if sort == "-date" else "Previous"

    pages = walk(admin, forward, page(admin, sort=sort))

    assert pages == [expected[0:3], expected[3:6], expected[6:8]]
    last = HistoryCursor.from_call(Call.objects.get(pk=expected[5]), sort).token()
    back = walk(admin, backward, page(admin, sort=sort, after=last))
    assert back == [expected[6:8], expected[3:6], expected[0:3]]


def test_it_shows_the_total_and_the_position_of_the_page(
    client, admin_user, owner_member, monkeypatch
):
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 2)
    for day in range(1, 6):
        make_call(owner_member, at=local(2025, 4, day))
    admin = client_for(client, admin_user)

    first = page(admin)
    second = walk(admin, "Older", first)

    assert "1–2 of 5 calls" in first.content.decode()  # noqa: RUF001 (an en dash)
    assert len(second) == 3
    response = page(admin, sort="duration")
    assert "1–2 of 5 calls" in response.content.decode()  # noqa: RUF001 (an en dash)


def test_the_total_groups_thousands(client, admin_user, owner_member):
    when = local(2025, 4, 1)
    Call.objects.bulk_create(
        Call(
            member=owner_member,
            sponsor="+861052680000",
            caller=owner_member.phone_number,
            callee="+8613800000001",
            status=Call.Status.FAILED,
        )
        for _ in range(1001)
    )
    assert when  # the calls' time is now: any day will do

    body = page(client_for(client, admin_user)).content.decode()

    assert "1–50 of 1,001 calls" in body  # noqa: RUF001 (an en dash)


def test_the_sort_links_keep_the_filters_and_drop_the_cursor(client, admin_user, owner_member):
    make_call(owner_member, at=local(2025, 4, 1))
    admin = client_for(client, admin_user)

    body = page(admin, member=owner_member.pk, status="ended", after="x").content.decode()

    links = {unescape(link) for link in re.findall(r'<th[^>]*><a href="\?([^"]*)"', body)}
    assert links == {
        f"member={owner_member.pk}&status=ended&sort=date",
        f"member={owner_member.pk}&status=ended&sort=member",
        f"member={owner_member.pk}&status=ended&sort=-duration",
    }
    assert 'aria-sort="descending"' in body
    sorted_body = page(admin, member=owner_member.pk, sort="-duration").content.decode()
    assert f'href="?member={owner_member.pk}&amp;sort=duration"' in sorted_body
    assert 'name="sort"' in sorted_body


def test_an_unknown_sort_is_newest_first_and_an_employee_has_no_member_sort(
    client, employee, owner_member
):
    older = make_call(owner_member, at=local(2025, 4, 1), seconds=500)
    newer = make_call(owner_member, at=local(2025, 4, 2), seconds=5)
    viewer = client_for(client, employee)

    assert listed_ids(page(viewer, sort="nonsense")) == [newer.pk, older.pk]
    assert listed_ids(page(viewer, sort="member")) == [newer.pk, older.pk]
    body = page(viewer, sort="-duration").content.decode()
    assert listed_ids(page(viewer, sort="-duration")) == [older.pk, newer.pk]
    assert "Member, A to Z" not in body


def test_the_export_follows_the_sort(client, admin_user, owner_member):
    short = make_call(owner_member, at=local(2025, 4, 2), seconds=5)
    long = make_call(owner_member, at=local(2025, 4, 1), seconds=500)

    response = client_for(client, admin_user).get(reverse("call-export-csv"), {"sort": "-duration"})

    assert [row[0] for row in csv_rows(response)[1:]] == [str(long.pk), str(short.pk)]


@pytest.fixture
def recorded(owner_member) -> dict[str, Call]:
    from recordings.models import Recording

    calls = {
        status: make_call(owner_member, at=local(2025, 4, day))
        for day, status in enumerate(["ready", "pending", "not_recorded"], start=1)
    }
    for status, call in calls.items():
        stored = {"file": "recordings/a.wav", "size_bytes": 100} if status == "ready" else {}
        Recording.objects.create(
            call=call,
            operator_result="Success",
            operator_recording_id=f"r{call.pk}",
            recorded_at=call.ended_at,
            status=status,
            **stored,
        )
    calls["none"] = make_call(owner_member, at=local(2025, 4, 5))
    return calls


def recording_cell(body: str, call: Call) -> str:
    row = re.search(rf'data-call="{call.pk}".*?</tr>', body, re.S).group(0)
    return re.search(
        r'class="recording-cell"><span class="cell">(.*?)</span></td>', row, re.S
    ).group(1)


def test_the_recording_column_links_to_the_player_for_those_who_may_hear(
    client, employee, recorded
):
    body = page(client_for(client, employee)).content.decode()

    ready = recorded["ready"]
    assert f'href="/calls/{ready.pk}/#recording-{ready.pk}"' in recording_cell(body, ready)
    assert "Listen" in recording_cell(body, ready)
    assert "Waiting to be downloaded" in recording_cell(body, recorded["pending"])
    assert "Not recorded" in recording_cell(body, recorded["not_recorded"])
    assert recording_cell(body, recorded["none"]) == ""


def test_finance_see_that_a_call_was_recorded_but_no_player_link(client, finance_user, recorded):
    body = page(client_for(client, finance_user)).content.decode()

    cell = recording_cell(body, recorded["ready"])
    assert "Recorded" in cell
    assert "href" not in cell


# The calls behind a report figure


def test_the_calls_behind_a_figure_are_newest_first_and_open_the_call(
    client, finance_user, owner_member
):
    first = make_call(owner_member, at=local(2025, 4, 1))
    last = make_call(owner_member, at=local(2025, 4, 3))

    response = client_for(client, finance_user).get(
        reverse("report-calls"), {"from": "2025-04-01", "to": "2025-04-30"}
    )

    assert [row["call_id"] for row in response.context["rows"]] == [last.pk, first.pk]
    body = response.content.decode()
    assert body.index(f'href="/calls/{last.pk}/"') < body.index(f'href="/calls/{first.pk}/"')


# Exports


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def history(owner_member, other_member) -> list[Call]:
    return [
        make_call(owner_member, at=local(2025, 4, 1), callee="+8613812345678", callee_name="Zhao"),
        make_call(owner_member, at=local(2025, 4, 2), over_limit=True, reason="CalleeBusy"),
        make_call(other_member, at=local(2025, 4, 3), callee="+8613800000022"),
        make_call(owner_member, at=local(2025, 5, 1)),
    ]


def test_the_csv_export_streams_exactly_the_filtered_list(client, admin_user, history, monkeypatch):
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 2)
    admin = client_for(client, admin_user)
    query = {"from": "2025-04-01", "to": "2025-04-30"}
    on_pages = [pk for ids in walk(admin, "Older", page(admin, **query)) for pk in ids]

    response = admin.get(reverse("call-export-csv"), query)

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(response)
    assert header[:6] == ["Call", "Date and time", "Member", "Department", "Caller", "Callee"]
    # Every page of the list, not just the first, in the order on screen.
    assert on_pages == [history[2].pk, history[1].pk, history[0].pk]
    assert [int(row[0]) for row in rows] == on_pages
    assert [row[5] for row in rows] == ["+8613800000022", "+8613800000001", "+8613812345678"]
    assert rows[2][1] == "2025-04-01 10:00:00"
    assert rows[2][6] == "Zhao"
    # The status and the reason each in words, with its code beside it for programs.
    busy = selectors.reason_label("CalleeBusy", to_caller=False)  # an admin reads it
    assert rows[1][7:11] == ["Ended", "ended", busy, "CalleeBusy"]
    assert (rows[1][13], rows[2][13]) == ("Yes", "No")
    assert rows[2][12] == "2.00"  # 61 s bills two started minutes


def test_the_csv_export_keeps_the_search_and_flag(client, employee, history):
    response = client_for(client, employee).get(reverse("call-export-csv"), {"over_limit": "on"})

    _, *rows = csv_rows(response)
    assert [row[11] for row in rows] == ["61"]
    assert [row[10] for row in rows] == ["CalleeBusy"]
    # Their own call: the reason as its caller reads it.
    assert [row[9] for row in rows] == ["busy"]


def test_the_csv_export_masks_numbers_for_finance(client, finance_user, history):
    response = client_for(client, finance_user).get(reverse("call-export-csv"))

    _, *rows = csv_rows(response)
    assert len(rows) == 4
    assert "+86 138****5678" in [row[5] for row in rows]
    assert not any("+8613812345678" in cell for row in rows for cell in row)


def test_the_export_holds_only_the_users_own_calls(client, teammate, history):
    response = client_for(client, teammate).get(reverse("call-export-csv"))

    _, *rows = csv_rows(response)
    assert [row[5] for row in rows] == ["+8613800000022"]


def test_the_xlsx_export_streams_the_filtered_list(client, admin_user, history, departments):
    response = client_for(client, admin_user).get(
        reverse("call-export-xlsx"), {"department": departments["sales"].pk, "to": "2025-04-30"}
    )

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    header, *rows = list(book["Calls"].iter_rows(values_only=True))
    assert header[:2] == ("Call", "Date and time")
    assert [row[5] for row in rows] == ["+8613800000001", "+8613812345678"]
    assert rows[1][1] == datetime(2025, 4, 1, 10, 0)
    assert {row[3] for row in rows} == {"Sales"}


def test_an_export_refuses_bad_filters(client, admin_user):
    response = client_for(client, admin_user).get(reverse("call-export-csv"), {"from": "April"})

    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


DASH = "\N{EN DASH}"


def _count_line(response) -> str:
    match = re.search(r'id="call-count">([^<]*)</p>', response.content.decode())
    return unescape(match.group(1)) if match else ""


def test_past_the_count_limit_the_position_is_said_without_counting_further(
    client, admin_user, owner_member, monkeypatch
):
    monkeypatch.setattr("calls.history.HISTORY_PAGE_SIZE", 2)
    monkeypatch.setattr("calls.history.HISTORY_COUNT_LIMIT", 3)
    calls = [make_call(owner_member, at=local(2025, 4, day)) for day in range(1, 9)]
    expected = [call.pk for call in reversed(calls)]
    admin = client_for(client, admin_user)
    first = page(admin)

    older = walk(admin, "Older", first)

    # Every call, once, in order: the links do not depend on the count.
    assert [pk for ids in older for pk in ids] == expected
    assert _count_line(first) == f"1{DASH}2 of more than 3 calls"
    second = admin.get(reverse("call-list"), {"after": HistoryCursor.from_call(calls[-2]).token()})
    assert _count_line(second) == f"3{DASH}4 of more than 3 calls"
    third = admin.get(reverse("call-list"), {"after": HistoryCursor.from_call(calls[-4]).token()})
    assert _count_line(third) == "More than 3 calls; these come after the first 3."
    newer = walk(admin, "Newer", third)
    assert [pk for ids in reversed(newer) for pk in ids] == expected[:6]
    admin.cookies["django_language"] = "zh-hans"
    chinese = admin.get(reverse("call-list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _count_line(chinese) == f"第1{DASH}2条，共3条以上通话"


def test_the_count_stops_at_its_limit(owner_member, monkeypatch):
    monkeypatch.setattr("calls.history.HISTORY_COUNT_LIMIT", 3)
    for day in range(1, 9):
        make_call(owner_member, at=local(2025, 4, day))

    with CaptureQueriesContext(connection) as queries:
        history_page = call_history_page(Call.objects.all())

    count = next(q["sql"] for q in queries if "COUNT(" in q["sql"])
    assert "LIMIT 4" in count  # one past the limit: no more rows read than that
    assert (history_page.total, history_page.total_over, history_page.first) == (3, True, 1)
