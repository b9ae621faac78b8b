"""Values past the ends, in query strings and paths, are refused at the edge: a 400 in the
caller's format (JSON for the API, the page with its message for people), a 404 for an id no row
can have, never a 500 and never an export that breaks off after its first byte (issue 19)."""

import pytest
from django.contrib.auth.models import Group

from clicktodial_portal import bounds
from members import roles
from members.models import Member
from tests.helpers import url_routes

# Larger than any database integer column: SQLite and PostgreSQL both failed binding it.
HUGE = "100000000000000000000"
PAST_THE_END = "9999-12-31"
BEFORE_THE_START = "0001-01-01"
OUT_OF_RANGE = "Enter a day from 1 January 2000 to 31 December 2100."

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(username="zhou")
    user.groups.add(Group.objects.get(name=roles.FINANCE))
    return user


def assert_refused_page(response, message: str) -> None:
    """A 400 with the page (not a bare error, not a stream) saying what is wrong."""
    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def assert_refused_export(response, message: str) -> None:
    """Refused before the first byte: a whole 400 response, not a 200 that breaks off; the
    portal's page saying what is wrong, with a way back to the filters to correct them."""
    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert message in body
    assert "Back to the filters" in body


# Dates


@pytest.mark.parametrize(
    ("name", "value"), [("to", PAST_THE_END), ("from", BEFORE_THE_START), ("from", HUGE)]
)
def test_the_usage_api_refuses_a_day_past_the_supported_range(client, finance, name, value):
    client.force_login(finance)

    response = client.get("/api/v1/usage/", {name: value})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {name}


def test_the_usage_api_refuses_a_range_out_of_order(client, finance):
    client.force_login(finance)

    response = client.get("/api/v1/usage/", {"from": "2026-02-01", "to": "2026-01-31"})

    assert response.status_code == 400
    assert set(response.json()) == {"from"}


def test_the_usage_api_refuses_a_grouping_not_offered(client, finance):
    client.force_login(finance)

    response = client.get("/api/v1/usage/", {"group_by": "year"})

    assert response.status_code == 400
    assert set(response.json()) == {"group_by"}


def test_the_usage_api_accepts_the_first_and_last_supported_days(client, finance):
    client.force_login(finance)

    response = client.get(
        "/api/v1/usage/",
        {
            "from": bounds.DATE_MIN.isoformat(),
            "to": bounds.DATE_MAX.isoformat(),
            "group_by": "month",
        },
    )

    assert response.status_code == 200
    assert (response.json()["from"], response.json()["to"]) == ("2000-01-01", "2100-12-31")


def test_the_api_schema_states_the_supported_days(client, finance):
    client.force_login(finance)

    schema = client.get("/api/schema/", {"format": "json"}).json()

    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/usage/"]["get"]["parameters"]}
    for name in ("from", "to"):
        assert parameters[name]["schema"]["pattern"] == bounds.DATE_PARAMETER_SCHEMA["pattern"]
        assert "2000-01-01 to 2100-12-31" in parameters[name]["description"]


@pytest.mark.parametrize(("name", "value"), [("to", PAST_THE_END), ("from", BEFORE_THE_START)])
@pytest.mark.parametrize("page", ["/reports/usage/", "/reports/calls/"])
def test_the_report_pages_refuse_a_day_past_the_supported_range(client, finance, page, name, value):
    client.force_login(finance)

    assert_refused_page(client.get(page, {name: value}), OUT_OF_RANGE)


@pytest.mark.parametrize(("name", "value"), [("to", PAST_THE_END), ("from", BEFORE_THE_START)])
@pytest.mark.parametrize(
    "export",
    ["/reports/usage.csv", "/reports/usage.xlsx", "/reports/calls.csv", "/reports/calls.xlsx"],
)
def test_the_report_exports_refuse_a_day_past_the_supported_range(
    client, finance, export, name, value
):
    client.force_login(finance)

    assert_refused_export(client.get(export, {name: value}), OUT_OF_RANGE)


@pytest.mark.parametrize(("name", "value"), [("to", PAST_THE_END), ("from", BEFORE_THE_START)])
def test_the_call_history_refuses_a_day_past_the_supported_range(client, member, name, value):
    client.force_login(member.user)

    assert_refused_page(client.get("/calls/", {name: value}), OUT_OF_RANGE)


@pytest.mark.parametrize(("name", "value"), [("to", PAST_THE_END), ("from", BEFORE_THE_START)])
@pytest.mark.parametrize("export", ["/calls/export.csv", "/calls/export.xlsx"])
def test_the_call_history_exports_refuse_a_day_before_the_first_byte(
    client, member, export, name, value
):
    client.force_login(member.user)

    assert_refused_export(client.get(export, {name: value}), OUT_OF_RANGE)


def test_the_refusal_speaks_the_readers_language(client, member):
    client.force_login(member.user)

    response = client.get("/calls/", {"to": PAST_THE_END}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert_refused_page(response, "2000年1月1日")


@pytest.mark.parametrize("page", ["/members/audit/", "/members/audit.csv"])
@pytest.mark.parametrize(("name", "value"), [("to", PAST_THE_END), ("from", BEFORE_THE_START)])
def test_the_audit_log_leaves_out_a_day_past_the_supported_range(
    client, admin_user, page, name, value
):
    """The log's filters leave out what makes no sense rather than refuse it (audit.selectors)."""
    client.force_login(admin_user)

    response = client.get(page, {name: value})

    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)


# Ids in query strings


@pytest.mark.parametrize("name", ["member", "department"])
@pytest.mark.parametrize("page", ["/reports/calls/", "/reports/calls.csv", "/reports/calls.xlsx"])
def test_the_calls_behind_a_report_refuse_an_id_no_row_can_have(client, finance, page, name):
    client.force_login(finance)

    response = client.get(page, {name: HUGE})

    assert response.status_code == 400
    assert not response.streaming


@pytest.mark.parametrize("value", [HUGE, "²"])
@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("/members/", "department"),
        ("/members/export.csv", "department"),
        ("/members/audit/", "actor"),
        ("/members/audit.csv", "actor"),
    ],
)
def test_the_admin_lists_leave_out_an_id_no_row_can_have(
    client, admin_user, member, page, name, value
):
    """Members and the audit log leave out a filter that makes no sense (the lists' design): an id
    past the column's range, or a digit int() does not read ("²"), once a 500."""
    client.force_login(admin_user)

    response = client.get(page, {name: value})

    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if page.startswith("/members/") and "audit" not in page:
        assert member.phone_number.encode() in content


@pytest.mark.parametrize("name", ["member", "department", "outcome"])
def test_the_call_history_refuses_an_id_no_row_can_have(client, admin_user, name):
    client.force_login(admin_user)

    assert client.get("/calls/", {name: HUGE}).status_code == 400


def test_the_call_api_refuses_a_member_no_row_can_have(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/api/v1/calls/", {"member": HUGE})

    assert response.status_code == 400
    assert set(response.json()) == {"member"}


# Ids in paths


# Every route of the portal with an id in its path, as a path with `{}` for the id.
ID_ROUTES = ["/" + r.replace("<id:pk>", "{}") for r in url_routes() if "<id:pk>" in r]


def test_every_id_in_a_path_is_bounded():
    assert "/api/v1/calls/{}/recording/" in ID_ROUTES
    assert "/calls/{}/" in ID_ROUTES
    assert "/users/{}/" in ID_ROUTES
    unbounded = [route for route in url_routes() if "<int:" in route]
    assert unbounded == []


@pytest.mark.parametrize("route", [*ID_ROUTES, "/api/v1/contacts/{}/", "/api/v1/members/{}/"])
@pytest.mark.parametrize("pk", [HUGE, str(bounds.ID_MAX + 1)])
def test_an_id_no_row_can_have_is_not_found(client, admin_user, route, pk):
    client.force_login(admin_user)

    response = client.get(route.format(pk))

    assert response.status_code == 404


def test_the_recording_api_answers_an_id_no_row_can_have_in_json(client, admin_user):
    client.force_login(admin_user)

    response = client.get(f"/api/v1/calls/{HUGE}/recording/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_largest_id_a_row_can_have_still_reaches_the_view(client, admin_user):
    client.force_login(admin_user)

    response = client.get(f"/api/v1/calls/{bounds.ID_MAX}/recording/")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_an_id_in_range_still_finds_its_row(client, admin_user, member):
    client.force_login(admin_user)

    response = client.get(f"/members/{member.pk}/edit/")

    assert response.status_code == 200
    assert Member.objects.filter(pk=member.pk).exists()
