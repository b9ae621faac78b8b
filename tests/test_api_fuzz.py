"""Schemathesis over the API's own OpenAPI schema: every operation, as an admin and as an employee,
with valid and invalid inputs. No answer may be a 5xx, and every answer, errors included, must be
what the schema documents (status code, content type, body), also as a strict OpenAPI 3.0.3
validator reads it (tests/strict_schema.py).

In process, through the WSGI application, on the test database; no operator is called. The
examples are derandomised, so that CI runs the same inputs every time."""

import base64
import os
from collections.abc import Iterator
from datetime import date

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calls.models import Call, Contact
from clicktodial_portal.wsgi import application
from members.models import Member
from tests.reliability import record
from tests.strict_schema import response_errors

# Dates as drawn for every `format: date` value, in requests' parameters and bodies: the calendar's
# ends and the supported range's edges (bounds.DATE_MIN/MAX) beside any day of any year, so that a
# date sum past year 9999 (once a 500) is tried on every operation that reads a day.
DATE_EDGES = ["0001-01-01", "1999-12-31", "2000-01-01", "2100-12-31", "2101-01-01", "9999-12-31"]
schemathesis.openapi.format(
    "date",
    st.one_of(
        st.sampled_from(DATE_EDGES),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    ),
)

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# The employee's run leaves out the coverage phase (the schema's boundary values, a few hundred
# requests): it is the admin's, and most of the employee's would meet a 403.
employee_schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
employee_schema.config.phases.coverage.enabled = False
# The admin's coverage phase (the boundary values of every parameter, ~1,800 requests) runs in
# `make reliability`'s full profile; `make test`'s quick one leaves it out, for time.
schema.config.phases.coverage.enabled = os.environ.get("HYPOTHESIS_PROFILE") == "full"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Ids the generated ones are steered to, half the time, so that detail operations also meet rows
# that exist (a random integer almost never does).
SEED_IDS = {"calls": 0, "contacts": 0, "members": 0, "shared contacts": 0}

tried = {"n": 0, "5xx": 0}


@pytest.fixture(autouse=True)
def _connection_kept_open() -> Iterator[None]:
    """Like Django's test client: the end of a request must not close the test's connection (its
    transaction holds the test's rows)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_operator(monkeypatch) -> list:
    """Nothing is sent to the operator or by email: the tasks are recorded instead."""
    sent: list = []
    for task in (
        "calls.tasks.call_begin_task",
        "calls.tasks.call_release_task",
        "members.tasks.pool_alert_send_task",
    ):
        monkeypatch.setattr(f"{task}.delay", lambda *args, **kwargs: sent.append(args))
    return sent


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    record("bad inputs", tried=tried["n"], **{"5xx": tried["5xx"]})


def _seed(employee_member: Member) -> None:
    """Rows for the detail operations to find; recreated when an example deleted them."""
    contact, _ = Contact.objects.get_or_create(
        owner=employee_member.user, phone_number="+8613800000001", defaults={"name": "Li Wei"}
    )
    shared, _ = Contact.objects.get_or_create(
        owner=None, phone_number="+8613800000009", defaults={"name": "Front desk"}
    )
    call = Call.objects.filter(member=employee_member).first() or Call.objects.create(
        member=employee_member,
        placed_by=employee_member.user,
        sponsor="+861012345678",
        caller=employee_member.phone_number,
        callee="+8613800000001",
    )
    SEED_IDS.update(
        calls=call.pk,
        contacts=contact.pk,
        members=employee_member.pk,
        **{"shared contacts": shared.pk},
    )


def _auth_headers(case, token: str) -> dict[str, str]:
    schemes = {
        name
        for requirement in case.operation.definition.raw.get("security", [])
        for name in requirement
    }
    security = schema.raw_schema.get("components", {}).get("securitySchemes", {})
    if any(security.get(name, {}).get("scheme") == "basic" for name in schemes):
        pair = (
            f"{django_settings.OPERATOR_NOTIFY_USERNAME}:{django_settings.OPERATOR_NOTIFY_PASSWORD}"
        )
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    return {"Authorization": f"Token {token}"}


def _steer_ids(case, role: str) -> None:
    """Half the generated ids become one that exists: the employee's call, contact and member; the
    admin's contact is a shared one (another user's private contact is 404 even to an admin)."""
    path = case.operation.path
    for resource in ("calls", "contacts", "members"):
        if path.startswith(f"/api/v1/{resource}/{{id}}"):
            value = (case.path_parameters or {}).get("id")
            if isinstance(value, int) and value % 2 == 0:
                key = "shared contacts" if (resource, role) == ("contacts", "admin") else resource
                case.path_parameters["id"] = SEED_IDS[key]


def _call_and_validate(case, token: str) -> None:
    tried["n"] += 1
    response = case.call(headers=_auth_headers(case, token))
    if response.status_code >= 500:
        tried["5xx"] += 1
    case.validate_response(response, checks=CHECKS)
    headers = {name.lower(): values for name, values in response.headers.items()}
    content_type = headers.get("content-type", [""])[0]
    body = response.json() if "json" in content_type and response.content else None
    errors = response_errors(
        schema.raw_schema, case.operation.definition.raw, response.status_code, content_type, body
    )
    assert errors == [], f"{case.method} {case.formatted_path} answered {response.status_code}"


# Examples per operation, from the profile (tests/conftest.py): half its size for the admin (25
# under `make reliability`), two fifths for the employee (20), whose answers are mostly 403s.
ADMIN_EXAMPLES = hypothesis_settings.default.max_examples // 2
EMPLOYEE_EXAMPLES = hypothesis_settings.default.max_examples * 2 // 5
_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


@pytest.mark.reliability
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(max_examples=ADMIN_EXAMPLES, **_SETTINGS)
def test_the_api_answers_an_admin_as_documented(case, admin_user, member):
    _seed(member)
    _steer_ids(case, "admin")
    _call_and_validate(case, _token(admin_user))


@pytest.mark.reliability
@pytest.mark.django_db
@employee_schema.parametrize()
@hypothesis_settings(max_examples=EMPLOYEE_EXAMPLES, **_SETTINGS)
def test_the_api_answers_an_employee_as_documented(case, employee, member):
    _seed(member)
    _steer_ids(case, "employee")
    _call_and_validate(case, _token(employee))


def _token(user) -> str:
    """The user's API token (one per user), made at the first example."""
    return Token.objects.get_or_create(user=user)[0].key
