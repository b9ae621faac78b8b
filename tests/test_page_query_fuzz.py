"""Hypothesis over the query strings of every page, as each role (issue 19).

Schemathesis covers the API from its schema; the pages have none, so their query strings are
drawn here: the names the pages read (their filter forms' fields, paging, sorting, searching) and
any other, with values past the ends (days in year 1 and 9999, ids past any integer column,
digits int() reads but a database does not, very long text, control characters) beside ordinary
ones. No answer may be a 5xx, and an export refused must be refused whole (a 400 before its first
byte), never a 200 that breaks off. The count of requests and of 5xx goes into `make
reliability`'s table ("page query strings").
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from calls.forms import CallHistoryForm
from calls.models import Call, CallOutcome
from members import roles
from members.models import BusinessNumber, Department
from members.reports.views.usage import CallsForm, UsageForm
from recordings.list_filters import RecordingFilterForm
from recordings.models import RecordingRule
from tests.helpers import url_routes
from tests.reliability import record

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

# Not pages: Django's admin (its own), the API (Schemathesis's), the operator's notifications
# (tests/calls/test_notify_abuse.py), and what only answers a POST with a side effect.
LEFT_OUT = ("admin/", "api/", "clicktodial/", "accounts/logout/", "accounts/set-password/")

# The names the pages read besides their filter forms' fields.
KNOWN_NAMES = ["page", "q", "sort", "before", "after", "next", "group_by", "type", "object"]
FORMS = [CallHistoryForm, UsageForm, CallsForm, RecordingFilterForm]
NAMES = sorted(
    {*KNOWN_NAMES, "actor", "action", "status", *(n for f in FORMS for n in f.base_fields)}
)

HUGE = "100000000000000000000"
EXTREMES = [
    "9999-12-31",
    "0001-01-01",
    "1999-12-31",
    "2101-01-01",
    "2000-01-01",
    "2100-12-31",
    "2026-02-30",
    "2026-13-01",
    "20261207",
    HUGE,
    str(2**63),
    str(-(2**63) - 1),
    "-1",
    "0",
    "1e309",
    "NaN",
    "²",
    "١٢",
    "\uff11\uff12",  # full-width digits
    "",
    " ",
    "\x00",
    "%00",
    "x" * 3000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "+8613800000001",
    "member",
    "-created_at",
]

values = st.one_of(
    st.sampled_from(EXTREMES),
    st.integers().map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
    st.text(max_size=40),
)
# Mostly the names the pages read, sometimes any other.
names = st.one_of(st.sampled_from(NAMES), st.sampled_from(NAMES), st.text(min_size=1, max_size=12))
query_strings = st.lists(st.tuples(names, values), min_size=1, max_size=5).map(urlencode)

tried = {"n": 0, "5xx": 0}


def _pages() -> list[str]:
    """Each route as a path, `{id}` where it names a row."""
    pages = []
    for route in (r for r in url_routes() if not r.startswith(LEFT_OUT)):
        if route.startswith("^members/export"):
            pages += ["/members/export.csv", "/members/export.xlsx"]
        else:
            pages.append("/" + route.replace("<id:pk>", "{id}"))
    return pages


PAGES = _pages()


def _path(page: str, rows: dict[str, int]) -> str:
    """The page's path with the id of the row made for the test of the path's own kind."""
    kind = next((k for k in rows if page.startswith(f"/{k}")), None)
    return page.replace("{id}", str(rows.get(kind, 1)))


@pytest.fixture
def rows(member, contact, admin_user) -> dict[str, int]:
    """One row of each kind a page's path names, keyed by the path's beginning."""
    call = Call.objects.create(
        member=member,
        placed_by=member.user,
        sponsor="+861012345678",
        caller=member.phone_number,
        callee=contact.phone_number,
        contact=contact,
    )
    outcome = CallOutcome.objects.create(code="fuzzed", name="Fuzzed")
    department = Department.objects.create(name="Sales")
    number = BusinessNumber.objects.create(phone_number="+861012345678", label="Main")
    rule = RecordingRule.objects.create(
        scope=RecordingRule.Scope.MEMBER, member=member, record=True
    )
    return {
        "calls/outcomes/": outcome.pk,
        "calls/": call.pk,
        "contacts/": contact.pk,
        "members/departments/": department.pk,
        "members/business-numbers/": number.pk,
        "members/": member.pk,
        "recordings/rules/": rule.pk,
        "recordings/": call.pk,
        "users/": admin_user.pk,
    }


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(username="zhou")
    user.groups.add(Group.objects.get(name=roles.FINANCE))
    return user


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    record("page query strings", tried=tried["n"], **{"5xx": tried["5xx"]})


def _get_whole(client, url: str):
    """The answer, an export's every byte read (a stream that breaks off raises here)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


# Examples per page and role: the profile's size (15 in `make test`, 50 under `make reliability`).
SETTINGS = hypothesis_settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["admin", "employee", "finance"])
def test_no_query_string_makes_a_page_fail(client, rows, admin_user, employee, finance, role, page):
    user = {"admin": admin_user, "employee": employee, "finance": finance}[role]
    client.force_login(user)
    path = _path(page, rows)
    tried["n"] += 1
    plain = _get_whole(client, path)
    assert plain.status_code < 500
    if plain.status_code in (403, 404, 405):
        return  # not this role's page, or not one to GET (tests/test_access.py has each)

    @SETTINGS
    @given(query=query_strings)
    # Every page meets these, whatever is drawn: the extremes that once made a 500 (issue 19).
    @example(query="from=0001-01-01&to=9999-12-31")
    @example(query=f"from={HUGE}&to=2000-01-01&group_by={HUGE}")
    @example(query=urlencode({name: HUGE for name in NAMES}))
    @example(query=urlencode({name: "\u00b2" for name in NAMES}))
    def the_page_answers(query: str) -> None:
        tried["n"] += 1
        response = _get_whole(client, f"{path}?{query}")
        if response.status_code >= 500:
            tried["5xx"] += 1
        assert response.status_code < 500, f"{path}?{query} answered {response.status_code}"
        if response.status_code == 400:
            assert not response.streaming

    the_page_answers()


def test_every_page_is_fuzzed(rows):
    """The left-out prefixes leave the portal's own pages, each with a row of its kind."""
    for page in ("/calls/", "/reports/usage.csv", "/members/audit/", "/recordings/rules/"):
        assert page in PAGES
    assert _path("/calls/{id}/", rows) == f"/calls/{rows['calls/']}/"
    assert (
        _path("/calls/outcomes/{id}/edit/", rows)
        == f"/calls/outcomes/{rows['calls/outcomes/']}/edit/"
    )
    assert not [p for p in PAGES if p.startswith(("/admin/", "/api/"))]
