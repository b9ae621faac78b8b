"""The API as an integrator meets it (issue 21): a client generated from `/api/schema/` with
openapi-python-client, as a CRM's developers would make one, drives a whole flow against the live
server, a real Celery worker and the sandbox operator. Each call goes through the generated
models, so a schema that says something other than what the API does (a request model requiring
read-only fields, a body only as multipart, a null the model refuses, a key of another type, a
response it cannot read) fails here."""

import importlib
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import requests
import yaml
from rest_framework.authtoken.models import Token

from calls.models import Call
from tests.recordings.conftest import settled_recording
from tests.strict_schema import operation_for, response_errors

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

PACKAGE = "portal_api_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory):
    """The client package generated from the live schema, imported; its modules by name."""
    folder = tmp_path_factory.mktemp("generated")
    schema = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert schema.status_code == 200
    (folder / "schema.json").write_bytes(schema.content)
    # No post hooks: the generated code is imported, not formatted.
    (folder / "config.yaml").write_text(yaml.safe_dump({"post_hooks": []}))
    result = subprocess.run(  # noqa: S603 - the generator installed with the dev extras
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--config",
            str(folder / "config.yaml"),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # Every operation and model generated: the generator warns of any it had to leave out.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(folder))


@pytest.fixture
def answers() -> list[tuple[str, str, int, list[str]]]:
    """Every answer the generated clients receive, with what a strict OpenAPI 3.0.3 validator
    finds wrong in it against the schema (tests/strict_schema.py)."""
    return []


def client_for(generated, live_server, user, answers: list):
    """A client as the generator makes it (`Authorization: Bearer <token>`, its default), each
    answer it receives checked against the live schema."""
    schema = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30).json()

    def check(response: httpx.Response) -> None:
        response.read()
        request = response.request
        operation = operation_for(schema, request.method, request.url.path)
        assert operation is not None, f"{request.method} {request.url.path} is not in the schema"
        content_type = response.headers.get("Content-Type", "")
        body = response.json() if "json" in content_type and response.content else None
        errors = response_errors(schema, operation, response.status_code, content_type, body)
        answers.append((request.method, request.url.path, response.status_code, errors))

    token = Token.objects.get_or_create(user=user)[0].key
    return generated("client").AuthenticatedClient(
        base_url=live_server.url, token=token, httpx_args={"event_hooks": {"response": [check]}}
    )


def call_settled(generated, api, call_id: int, statuses: set[str], *, timeout: float = 20.0):
    retrieve = generated("api.calls.calls_retrieve")
    deadline = time.monotonic() + timeout
    while True:
        call = retrieve.sync(call_id, client=api)
        if call.status.value in statuses:
            return call
        assert time.monotonic() < deadline, f"call {call_id} stayed {call.status.value}"
        time.sleep(0.1)


def test_a_crm_drives_the_api_with_a_generated_client(
    generated, live_server, sandbox, member, employee, admin_user, answers
):
    models = generated("models")
    api = client_for(generated, live_server, employee, answers)

    # Contacts: created, listed, changed, one deleted.
    create = generated("api.contacts.contacts_create")
    li = create.sync(
        client=api, body=models.ContactRequest(name="Li Wei", phone_number="13800000001")
    )
    zhang = create.sync(
        client=api, body=models.ContactRequest(name="Zhang Min", phone_number="+8613800000006")
    )
    assert (li.phone_number, zhang.phone_number) == ("+8613800000001", "+8613800000006")
    changed = generated("api.contacts.contacts_partial_update").sync(
        li.id, client=api, body=models.PatchedContactRequest(company="Acme")
    )
    assert changed.company == "Acme"
    listed = generated("api.contacts.contacts_list").sync(client=api)
    assert {contact.name for contact in listed.results} == {"Li Wei", "Zhang Min"}
    invalid = generated("api.contacts.contacts_create").sync(
        client=api, body=models.ContactRequest(name="Nobody", phone_number="call me")
    )
    assert isinstance(invalid, models.Error)  # a 400, read as the schema's error

    # A call to its end, debited, its recording's bytes.
    start = generated("api.calls.calls_create")
    placed = start.sync(client=api, body=models.CallStartInputRequest(contact=li.id))
    assert placed.status.value == "queued"
    ended = call_settled(generated, api, placed.id, {"ended", "failed"})
    assert (ended.status.value, ended.duration_seconds, ended.billed_minutes) == ("ended", 20, 1)
    settled_recording(placed.id)
    ended = call_settled(generated, api, placed.id, {"ended"})
    assert ended.recording.status.value == "ready"
    audio = generated("api.calls.calls_recording_retrieve").sync_detailed(placed.id, client=api)
    assert audio.status_code == 200
    operator_recording_id = Call.objects.get(pk=placed.id).recording_id
    assert audio.content == sandbox.recordings[operator_recording_id]

    # A long call, hung up while it talks.
    long = start.sync(client=api, body=models.CallStartInputRequest(contact=zhang.id))
    call_settled(generated, api, long.id, {"connected"})
    hung_up = generated("api.calls.calls_hangup_create").sync_detailed(long.id, client=api)
    assert hung_up.status_code == 202, hung_up.content
    assert call_settled(generated, api, long.id, {"ended"}).reason == "HangUp"

    # Finance's and the admin's views: the pool, the usage by member (keys are ids), a member
    # created with a cap and the cap cleared with a JSON null.
    admin = client_for(generated, live_server, admin_user, answers)
    pool = generated("api.pool.pool_retrieve").sync(client=admin)
    assert pool.minutes_used >= 1
    usage = generated("api.usage.usage_retrieve").sync(client=admin)
    (row,) = usage.rows
    assert (row.key, row.calls) == (member.pk, 2)
    by_day = generated("api.usage.usage_retrieve").sync(
        client=admin, group_by=models.UsageRetrieveGroupBy.DAY
    )
    assert isinstance(by_day.rows[0].key, str)
    created = generated("api.members.members_create").sync(
        client=admin,
        body=models.MemberRequest(name="Chen Jie", phone_number="13900000001", minutes_cap=30),
    )
    assert created.minutes_cap == 30
    cleared = generated("api.members.members_partial_update").sync(
        created.id, client=admin, body=models.PatchedMemberRequest(minutes_cap=None)
    )
    assert cleared.minutes_cap is None

    # Every answer as the schema documents it, read strictly.
    assert [answer for answer in answers if answer[3]] == []
    assert {status for _, _, status, _ in answers} == {200, 201, 202, 400}
