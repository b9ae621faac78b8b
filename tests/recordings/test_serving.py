"""The audio URL: who may have it (owner, admin, a granted finance user; everyone else 404),
Range requests for seeking, downloads, the audit log, and the other ways of delivering it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from recordings.models import Recording
from tests.conftest import api_client_for
from tests.recordings.conftest import WAV, ended_call, stored_recording

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(member) -> Recording:
    return stored_recording(ended_call(member))


def url(recording: Recording, **query) -> str:
    path = reverse("api-call-recording", args=[recording.call_id])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def audits(action: str | None = None) -> list[AuditLogEntry]:
    entries = AuditLogEntry.objects.filter(object_type="Recording").order_by("id")
    return list(entries.filter(action=action) if action else entries)


def test_the_owner_gets_the_audio_by_token_and_by_session(api, client, employee, recording):
    by_token = api.get(url(recording))
    client.force_login(employee)
    by_session = client.get(url(recording))

    for response in (by_token, by_session):
        assert response.status_code == 200
        assert response["Content-Type"] == "audio/wav"
        assert response["Content-Length"] == str(len(WAV))
        assert response["Accept-Ranges"] == "bytes"
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Disposition"].startswith("inline;")
        assert body(response) == WAV


def test_an_admin_gets_any_recording(admin_user, recording):
    assert api_client_for(admin_user).get(url(recording)).status_code == 200


def test_an_outsider_gets_404_and_nothing_is_audited(teammate, recording):
    response = api_client_for(teammate).get(url(recording))

    assert response.status_code == 404
    assert audits() == []


def test_finance_gets_404_unless_granted_the_permission(finance, grant_all_recordings, recording):
    client = api_client_for(finance)
    assert client.get(url(recording)).status_code == 404

    grant_all_recordings(finance)

    response = client.get(url(recording))
    assert response.status_code == 200
    assert body(response) == WAV
    assert audits("play")[0].actor == finance


def test_anonymous_requests_are_refused(client, recording):
    assert client.get(url(recording)).status_code == 401


def test_a_range_request_gets_206_with_exactly_those_bytes(api, recording):
    response = api.get(url(recording), HTTP_RANGE="bytes=1000-1999")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-1999/{len(WAV)}"
    assert response["Content-Length"] == "1000"
    assert body(response) == WAV[1000:2000]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=30000-", 30000, len(WAV) - 1),  # to the end
        ("bytes=-44", len(WAV) - 44, len(WAV) - 1),  # the last 44 bytes
        ("bytes=32000-99999999", 32000, len(WAV) - 1),  # past the end: clipped
    ],
)
def test_open_suffix_and_clipped_ranges(api, recording, header, start, end):
    response = api.get(url(recording), HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(WAV)}"
    assert body(response) == WAV[start : end + 1]


def test_a_range_past_the_end_is_416(api, recording):
    response = api.get(url(recording), HTTP_RANGE=f"bytes={len(WAV)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(WAV)}"
    # An error as the API's others are, which the schema documents.
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": f"The range starts past the end of the recording ({len(WAV)} bytes)."
    }


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=5-1", "lines=1-2", "bytes=x-"])
def test_ranges_the_server_does_not_serve_get_the_whole_file(api, recording, header):
    response = api.get(url(recording), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == WAV


def test_if_range_with_another_version_gets_the_whole_file(api, recording):
    etag = api.get(url(recording))["ETag"]

    same = api.get(url(recording), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    other = api.get(url(recording), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"stale"')

    assert (same.status_code, other.status_code) == (206, 200)


def test_a_download_is_an_attachment_and_every_one_is_audited(api, employee, recording):
    first = api.get(url(recording, download=1))
    api.get(url(recording, download=1))

    local = timezone.localtime(recording.recorded_at)
    assert first["Content-Disposition"] == (
        f'attachment; filename="call-{recording.call_id}-{local:%Y-%m-%d-%H%M}.wav"'
    )
    assert body(first) == WAV
    entries = audits("download")
    assert len(entries) == 2
    assert entries[0].actor == employee
    assert entries[0].object_id == str(recording.pk)
    assert entries[0].after == {"call": str(recording.call_id), "range": "all"}


def test_a_play_and_its_seeks_are_one_audited_play_per_person(api, admin_user, recording):
    api.get(url(recording), HTTP_RANGE="bytes=0-")
    api.get(url(recording), HTTP_RANGE="bytes=16000-")  # a seek
    api_client_for(admin_user).get(url(recording), HTTP_RANGE="bytes=0-")

    plays = audits("play")
    assert [entry.actor.username for entry in plays] == ["wang", "boss"]
    assert plays[0].after["range"] == "bytes=0-"


def test_a_play_after_the_window_is_audited_again(api, recording, settings):
    settings.RECORDING_PLAY_AUDIT_WINDOW = 0
    api.get(url(recording))
    api.get(url(recording))

    assert len(audits("play")) == 2


def test_an_expired_recording_is_gone_and_a_pending_one_not_found(api, member, recording):
    Recording.objects.filter(pk=recording.pk).update(status="expired", file="")
    pending = Recording.objects.create(
        call=ended_call(member, callidentifier="P1"),
        operator_result="Success",
        operator_recording_id="r2",
        recorded_at=recording.recorded_at,
    )

    gone = api.get(url(recording))
    not_yet = api.get(url(pending))

    assert gone.status_code == 410
    assert "retention" in gone.json()["detail"]
    assert not_yet.status_code == 404
    assert audits() == []


def test_nginx_gets_the_file_to_serve_after_the_check(api, recording, settings):
    settings.RECORDING_DELIVERY = "x-accel-redirect"

    response = api.get(url(recording))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-recordings/{recording.file.name}"
    assert response.content == b""
    assert len(audits("play")) == 1


def test_x_sendfile_gets_the_files_path(api, recording, settings):
    settings.RECORDING_DELIVERY = "x-sendfile"

    response = api.get(url(recording))

    assert response["X-Sendfile"] == recording.file.path


def test_the_call_api_shows_the_recording_and_keeps_the_list_to_three_queries(
    api, member, recording, django_assert_num_queries
):
    ended_call(member, recording_result="", callidentifier="NOREC")

    with django_assert_num_queries(3):  # token user, count, page (recordings joined)
        listed = api.get(reverse("api-call-list")).json()["results"]

    by_id = {call["id"]: call["recording"] for call in listed}
    assert by_id[recording.call_id] == {
        "status": "ready",
        "url": f"http://testserver{url(recording)}",
    }
    assert sorted(by_id.values(), key=bool)[0] is None
