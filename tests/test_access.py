"""Every page and API endpoint, swept with the portal's personas (README, "Roles").

The personas: the **owner** (an employee whose member number made the call, with a private contact
and a recording), the **outsider** (another employee, with another member number), **finance** (a
teammate with another role, no member number) and the **admin**; and the anonymous visitor.

`ROUTES` classifies every named URL of the project: which object its id names, and what each
persona gets for each method. A URL added without a line here fails
`test_every_url_is_classified`, so new pages are swept too. What the sweep proves:

- anonymous people are sent to log in (pages) or get 401 (the API under /api/);
- for a URL naming a call, recording or contact, the outsider (and finance, whose role does not
  grant other people's contacts or recordings, nor any act on a call) gets 404 for reads and
  writes alike, the same answer as for an id that does not exist, and the object is left as it
  was; finance read a call's page (behind the reports), its numbers masked (test_masking.py);
- the owner, finance on the reports and the admin get the documented status;
- the lists the outsider may open never show the owner's call, number, contact or recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from calls.models import CallOutcome, Contact
from members import roles
from members.models import BusinessNumber, Department
from recordings.models import RecordingRule
from tests.recordings.conftest import ended_call, stored_recording
from webhooks.models import WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db

# Not swept here: Django's admin, the API's schema and docs, logging in and out, choosing the
# language (anyone may; tests/accounts/test_language.py), and the operator's notify endpoints
# (Basic auth for v1's, tests/calls/test_notify.py; the sinkCredential for CAMARA's events,
# tests/calls/test_camara_flow.py).
SKIPPED_NAMES = {
    "api-schema",
    "api-docs",
    "login",
    "logout",
    "language-set",
    "operator-status-notify",
    "operator-camara-events",
    # The page a set-password link opens: anyone holding the link (tests/accounts).
    "password-set",
    # Single sign-on's way to the provider and back: before anyone is logged in
    # (tests/browser/test_sso.py).
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "oidc_logout",
}
SKIPPED_PREFIXES = ("admin/", "static/", "media/")

PERSONAS = ("outsider", "finance", "owner", "admin")

# The owner's private data, which no one else but an admin may see.
SECRET_NAME = "Zhao Secretname"
SECRET_NUMBER = "+8613800009876"


def _grid(owner: int, outsider: int, finance: int, admin: int) -> dict[str, int]:
    return {"owner": owner, "outsider": outsider, "finance": finance, "admin": admin}


EVERYONE = _grid(200, 200, 200, 200)
OWN = _grid(200, 404, 404, 200)  # the owner's call or recording
# A private contact is its owner's alone, admins included (calls.contact_selectors.contacts_of).
OWN_CONTACT = _grid(200, 404, 404, 404)
STAFF = _grid(403, 403, 403, 200)  # administrators only
# A form only administrators may send, which takes them back to a page.
ADMIN_WRITE = {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}
REPORTS = _grid(403, 403, 200, 200)  # finance and administrators


@dataclass(frozen=True)
class Route:
    """What one URL is about (`obj`, the object its id names) and the statuses each persona
    gets per method. A write lists only the personas to try; the one allowed goes last."""

    obj: str | None = None
    get: dict[str, int] | None = None
    writes: dict[str, dict[str, int]] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, str] = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    # Calls and contacts (pages).
    "home": Route(get=_grid(302, 302, 302, 302)),  # on to each role's first page
    "contact-list": Route(get=EVERYONE),
    "contact-import": Route(get=EVERYONE),
    "contact-edit": Route(
        obj="contact",
        get=OWN_CONTACT,
        writes={"post": {"outsider": 404, "finance": 404, "admin": 404, "owner": 200}},
    ),
    # GET asks to confirm, POST deletes.
    "contact-delete": Route(
        obj="contact",
        get=OWN_CONTACT,
        writes={"post": {"outsider": 404, "finance": 404, "admin": 404, "owner": 302}},
    ),
    # The ticked contacts' ids come in the form: any the user cannot see is 404.
    "contact-bulk-delete": Route(
        obj="contact",
        writes={"post": {"outsider": 404, "finance": 404, "admin": 404, "owner": 302}},
        body={"contact": "{pk}", "confirmed": "1"},
    ),
    # A number from a link: only the user's own and shared contacts are named on it.
    "call-number": Route(get=EVERYONE),
    "call-list": Route(get=EVERYONE),
    "call-export-csv": Route(get=EVERYONE),
    "call-export-xlsx": Route(get=EVERYONE),
    # The contact's id comes in the form: someone else's private contact is 404.
    "call-start": Route(
        obj="contact", writes={"post": {"outsider": 404, "finance": 404}}, body={"contact": "{pk}"}
    ),
    # Finance follow a report to the call: readable, numbers masked, nothing to act on.
    "call-detail": Route(obj="call", get=_grid(200, 404, 200, 200)),
    "call-status": Route(obj="call", get=_grid(286, 404, 286, 286)),  # ended: polling stops
    # Settling a call of unknown outcome is for admins; the call must be unknown (else 400).
    "call-settle": Route(
        obj="call",
        writes={"post": {"outsider": 404, "finance": 404, "owner": 403, "admin": 400}},
    ),
    # Noting how a call went (outcome, notes) is for its caller and admins; nothing sent, nothing
    # changed: back to the call page.
    "call-wrapup": Route(
        obj="call",
        writes={"post": {"outsider": 404, "finance": 404, "owner": 302, "admin": 302}},
    ),
    "call-hangup": Route(
        obj="call", writes={"post": {"outsider": 404, "finance": 404, "owner": 302}}
    ),
    # Recordings (pages). The panel of a ready recording answers 286: htmx stops polling.
    "recording-list": Route(get=EVERYONE),
    "recording-panel": Route(obj="call", get=_grid(286, 404, 404, 286)),
    "recording-retry": Route(
        obj="recording",
        writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}},
    ),
    "recording-hold": Route(
        obj="recording",
        writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}},
    ),
    # Member management (admins).
    "member-list": Route(get=STAFF),
    "member-edit": Route(
        obj="member",
        get=STAFF,
        writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 200}},
    ),
    "member-suspend": Route(
        obj="member", writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}}
    ),
    "member-reactivate": Route(
        obj="member", writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}}
    ),
    "member-remove": Route(
        obj="member", writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}}
    ),
    "member-import": Route(get=STAFF),
    "member-export": Route(get=STAFF, kwargs={"fmt": "csv"}),
    "department-list": Route(get=STAFF),
    "department-edit": Route(obj="department", get=STAFF),
    "business-number-list": Route(get=STAFF),
    "business-number-edit": Route(obj="business_number", get=STAFF),
    "audit-log": Route(get=STAFF),
    # Users and recording rules (admins).
    "user-list": Route(get=STAFF),
    "user-edit": Route(
        obj="user",
        get=STAFF,
        writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 200}},
    ),
    **{
        name: Route(
            obj="user",
            writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}},
        )
        for name in ("user-password-link", "user-unlock", "user-deactivate", "user-reactivate")
    },
    # The outcomes callers choose from after a call (calls.services.wrapup), kept by admins.
    "call-outcome-list": Route(get=STAFF),
    "call-outcome-edit": Route(obj="outcome", get=STAFF),
    "recording-rule-list": Route(get=STAFF),
    "recording-rule-edit": Route(obj="rule", get=STAFF),
    "recording-rule-members": Route(get=STAFF),
    "recording-rule-delete": Route(
        obj="rule", writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 302}}
    ),
    "audit-log-csv": Route(get=STAFF),
    # The minute pool: everyone sees the balance, admins change it.
    "pool": Route(get=EVERYONE),
    "pool-update": Route(
        writes={
            "post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 400}
        }  # empty form: 400
    ),
    # Reports (finance and admins) and the dashboard (admins).
    "report-usage": Route(get=REPORTS),
    "report-usage-csv": Route(get=REPORTS),
    "report-usage-xlsx": Route(get=REPORTS),
    "report-calls": Route(get=REPORTS),
    "report-calls-csv": Route(get=REPORTS),
    "report-calls-xlsx": Route(get=REPORTS),
    "report-pools": Route(get=REPORTS),
    "dashboard": Route(get=STAFF),
    "dashboard-live": Route(get=STAFF),
    # The REST API.
    "api-root": Route(get=EVERYONE),
    # The contact's id comes in the body: someone else's is refused as a missing one would be.
    "api-call-list": Route(
        obj="contact",
        get=EVERYONE,
        writes={"post": {"outsider": 400, "finance": 400}},
        body={"contact": "{pk}"},
    ),
    "api-call-detail": Route(obj="call", get=OWN),
    "api-call-hangup": Route(
        obj="call", writes={"post": {"outsider": 404, "finance": 404, "owner": 409}}
    ),
    "api-call-recording": Route(obj="call", get=OWN),
    "api-pool": Route(get=EVERYONE, writes={"patch": {"owner": 403, "finance": 403, "admin": 200}}),
    "api-usage": Route(get=REPORTS),
    "api-contact-list": Route(get=EVERYONE),
    "api-contact-detail": Route(
        obj="contact",
        get=OWN_CONTACT,
        writes={
            "patch": {"outsider": 404, "finance": 404, "owner": 200},
            "put": {"outsider": 404, "finance": 404},
            "delete": {"outsider": 404, "finance": 404, "owner": 204},
        },
        body={"name": "Renamed"},
    ),
    "api-member-list": Route(get=STAFF),
    "api-member-detail": Route(
        obj="member",
        get=STAFF,
        writes={
            "patch": {"owner": 403, "outsider": 403, "finance": 403, "admin": 200},
            "delete": {"owner": 403, "outsider": 403, "finance": 403, "admin": 200},
        },
        body={"name": "Renamed"},
    ),
    # Webhooks (admins): pages and API.
    "webhook-list": Route(get=STAFF),
    "webhook-detail": Route(obj="webhook", get=STAFF),
    "webhook-test": Route(obj="webhook", writes={"post": ADMIN_WRITE}),
    "webhook-enable": Route(obj="webhook", writes={"post": ADMIN_WRITE}),
    "webhook-delete": Route(obj="webhook", writes={"post": ADMIN_WRITE}),
    "webhook-message-resend": Route(obj="webhook_message", writes={"post": ADMIN_WRITE}),
    "api-webhook-list": Route(get=STAFF),
    "api-webhook-detail": Route(
        obj="webhook",
        get=STAFF,
        writes={"delete": {"owner": 403, "outsider": 403, "finance": 403, "admin": 204}},
    ),
    "api-webhook-test": Route(
        obj="webhook",
        writes={"post": {"owner": 403, "outsider": 403, "finance": 403, "admin": 202}},
    ),
}

# The lists the outsider may open, and must find empty of the owner's data.
LISTS = [name for name, route in ROUTES.items() if route.get == EVERYONE]


def _named_patterns(patterns, prefix: str = "") -> list[tuple[str, str | None]]:
    """(route, name) of every URL pattern, walking included URLconfs."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.lstrip("^").startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            found += _named_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.name))
    return found


def _swept_names() -> set[str | None]:
    return {
        name
        for _, name in _named_patterns(get_resolver().url_patterns)
        if name not in SKIPPED_NAMES
    }


def test_every_url_is_classified():
    names = _swept_names()

    assert None not in names, "every URL needs a name to be swept"
    assert names - ROUTES.keys() == set(), "add these URLs to ROUTES in tests/test_access.py"
    assert ROUTES.keys() - names == set(), "these ROUTES no longer exist"


# The world every sweep runs in.


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(username="zhou")
    user.groups.add(Group.objects.get(name=roles.FINANCE))
    return user


@pytest.fixture
def objects(member, teammate_member) -> dict[str, object]:
    """The owner's private contact, call and ready recording; a department, a business number."""
    contact = Contact.objects.create(
        owner=member.user, name=SECRET_NAME, phone_number=SECRET_NUMBER
    )
    call = ended_call(member, callee=SECRET_NUMBER, callee_name=SECRET_NAME, contact=contact)
    recording = stored_recording(call)
    webhook = WebhookEndpoint.objects.create(
        url="https://93.184.215.14/hooks", events=["call.ended"]
    )
    return {
        "contact": contact,
        "call": call,
        "recording": recording,
        "member": member,
        "department": Department.objects.create(name="Sales"),
        "business_number": BusinessNumber.objects.create(phone_number="+861052680000"),
        # Not one of the personas: logging them in would change the row the sweep compares.
        "user": type(member.user).objects.create_user(username="newcomer"),
        "rule": RecordingRule.objects.create(scope=RecordingRule.Scope.ENTERPRISE, record=True),
        "outcome": CallOutcome.objects.create(code="left_message", name="Left a message"),
        "webhook": webhook,
        "webhook_message": WebhookMessage.objects.create(
            endpoint=webhook, event_type="webhook.test", body="{}"
        ),
    }


@pytest.fixture
def people(employee, teammate, finance, admin_user) -> dict[str, object]:
    return {"owner": employee, "outsider": teammate, "finance": finance, "admin": admin_user}


def _is_api(name: str) -> bool:
    return name.startswith("api-")


def _url(name: str, pk: int | None = None) -> str:
    route = ROUTES[name]
    kwargs = dict(route.kwargs)
    if route.obj is not None and not _id_in_body(route):
        kwargs["pk"] = pk  # else the id goes in the form
    return reverse(name, kwargs=kwargs)


def _body(name: str, pk: int | None) -> dict[str, str]:
    return {key: value.format(pk=pk) for key, value in ROUTES[name].body.items()}


def _client_for(name: str, user) -> Client:
    if user is None:
        return Client()
    if _is_api(name):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    client = Client()
    client.force_login(user)
    return client


def _request(client: Client, method: str, name: str, pk: int | None):
    url, body = _url(name, pk), _body(name, pk)
    if method == "get":
        return client.get(url)
    if _is_api(name):
        return getattr(client, method)(url, body, format="json")
    return getattr(client, method)(url, body)


def _state(obj) -> dict | None:
    """The object's row as it is in the database, or None once it is gone."""
    row = type(obj).objects.filter(pk=obj.pk).values().first()
    return row


def _id_in_body(route: Route) -> bool:
    return any("{pk}" in value for value in route.body.values())


def _methods(route: Route) -> list[str]:
    return (["get"] if route.get else []) + list(route.writes)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_people_are_sent_to_log_in(name, objects):
    route = ROUTES[name]
    pk = objects[route.obj].pk if route.obj else None

    for method in _methods(route):
        response = _request(Client(), method, name, pk)

        if _is_api(name):
            assert response.status_code == 401, (method, name)
        else:
            assert response.status_code == 302, (method, name)
            assert response["Location"].startswith(resolve_url(settings.LOGIN_URL)), (method, name)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_persona_gets_the_documented_status(name, objects, people):
    route = ROUTES[name]
    obj = objects[route.obj] if route.obj else None
    pk = obj.pk if obj is not None else None

    if route.get:
        for persona in PERSONAS:
            response = _request(_client_for(name, people[persona]), "get", name, pk)
            assert response.status_code == route.get[persona], (persona, "GET", name)

    for method, statuses in route.writes.items():
        before = _state(obj) if obj is not None else None
        for persona, expected in statuses.items():
            response = _request(_client_for(name, people[persona]), method, name, pk)
            assert response.status_code == expected, (persona, method.upper(), name)
            if expected in (403, 404) and obj is not None:
                assert _state(obj) == before, f"{persona}'s {method.upper()} changed {name}"


OBJECT_ROUTES = sorted(name for name, route in ROUTES.items() if route.obj)


@pytest.mark.parametrize("name", OBJECT_ROUTES)
def test_someone_elses_id_answers_as_a_missing_one(name, objects, people):
    """Refused on an id that exists, refused the same way on one that does not: the answer tells
    the outsider nothing about other people's calls, contacts and recordings."""
    route = ROUTES[name]
    missing = type(objects[route.obj]).objects.order_by("-pk").first().pk + 1000

    methods = list(route.writes) if _id_in_body(route) else _methods(route)
    for method in methods:
        for persona in ("outsider", "finance"):
            if method == "get" and route.get and route.get[persona] < 400:
                continue  # this persona may read it (finance, a call's page)
            client = _client_for(name, people[persona])
            existing = _request(client, method, name, objects[route.obj].pk)
            absent = _request(client, method, name, missing)
            assert existing.status_code == absent.status_code, (persona, method.upper(), name)
            assert existing.status_code in (400, 403, 404), (persona, method.upper(), name)
            assert SECRET_NAME.encode() not in existing.content


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("name", LISTS)
def test_the_outsider_never_sees_the_owners_data_in_a_list(name, objects, people):
    response = _request(_client_for(name, people["outsider"]), "get", name, None)

    assert response.status_code == 200
    if name.endswith("xlsx"):
        return  # zipped; the same rows as the CSV export, checked there
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = re.sub(r'placeholder="[^"]*"', "", body.decode())  # an example number, not data
    assert SECRET_NAME not in text, name
    assert _digits(SECRET_NUMBER)[2:] not in _digits(text), name  # national or E.164 form
    assert objects["member"].phone_number[3:] not in _digits(text), name


@pytest.mark.parametrize(
    "name", ["call-list", "call-export-csv", "contact-list", "api-call-list", "api-contact-list"]
)
def test_the_owner_does_see_the_data_in_those_lists(name, objects, people):
    """The check above would also pass on a broken, empty page."""
    response = _request(_client_for(name, people["owner"]), "get", name, None)

    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert SECRET_NAME in body.decode(), name
