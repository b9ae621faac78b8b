"""Recorded calls end to end: the sandbox operator over HTTP, the notify endpoint on the live
server, the download task on a real Celery worker, the file in storage, the audio by the API."""

import hashlib
import time

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from calls.models import Call
from recordings.models import Recording, RecordingRule
from tests.recordings.conftest import settled_recording

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


@pytest.fixture(autouse=True)
def _quick_retries(settings) -> None:
    settings.RECORDING_DOWNLOAD_RETRY_DELAY = 0.05
    settings.RECORDING_DOWNLOAD_RETRY_MAX_DELAY = 0.2
    settings.RECORDING_DOWNLOAD_MAX_ATTEMPTS = 3


def place(api, callee: str) -> int:
    response = api.post(reverse("api-call-list"), {"callee": callee}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def downloads(sandbox) -> list:
    return [r for r in sandbox.requests if "/recordingdownload/" in r.path]


def test_a_recorded_call_is_downloaded_stored_and_served_byte_for_byte(api, member, sandbox):
    call_id = place(api, "+8613800000001")

    recording = settled_recording(call_id)

    call = Call.objects.get(pk=call_id)
    sent = sandbox.recordings[call.recording_id]
    assert recording.status == "ready"
    assert recording.operator_recording_id == call.recording_id
    assert (recording.audio_format, recording.size_bytes) == ("wav", len(sent))
    assert recording.duration_ms == 20_000  # the sandbox records min(callDuration, 30) s
    assert recording.sha256 == hashlib.sha256(sent).hexdigest()
    assert recording.attempts == 1
    with recording.file.open("rb") as stored:
        assert stored.read() == sent
    (download,) = downloads(sandbox)
    assert download.body == {"recordingId": call.recording_id}

    detail = api.get(reverse("api-call-detail", args=[call_id])).json()
    assert detail["recording"] == {
        "status": "ready",
        "url": f"http://testserver/api/v1/calls/{call_id}/recording/",
    }
    audio = api.get(detail["recording"]["url"])
    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/wav"
    assert b"".join(audio.streaming_content) == sent


def test_a_download_that_fails_twice_then_succeeds_is_retried_and_stored(api, member, sandbox):
    call_id = place(api, "+8613800000013")

    recording = settled_recording(call_id)

    assert recording.status == "ready"
    assert recording.attempts == 3
    assert len(downloads(sandbox)) == 3
    assert recording.last_error == ""  # cleared by the success
    call = Call.objects.get(pk=call_id)
    with recording.file.open("rb") as stored:
        assert stored.read() == sandbox.recordings[call.recording_id]


def test_a_corrupt_recording_fails_at_once_and_nothing_is_stored(
    api, member, sandbox, storage_files
):
    """The same request would get the same bad bytes: no retries, an admin retries by hand."""
    call_id = place(api, "+8613800000014")

    recording = settled_recording(call_id)

    assert recording.status == "failed"
    assert recording.attempts == 1
    assert "could not be decoded" in recording.last_error
    assert recording.file.name in ("", None)
    assert storage_files() == []
    assert len(downloads(sandbox)) == 1


def test_a_recording_sent_inside_result_is_accepted(api, member, sandbox):
    call_id = place(api, "+8613800000015")

    recording = settled_recording(call_id)

    call = Call.objects.get(pk=call_id)
    assert recording.status == "ready"
    with recording.file.open("rb") as stored:
        assert stored.read() == sandbox.recordings[call.recording_id]


def test_a_recording_the_operator_failed_is_shown_and_never_fetched(api, member, sandbox):
    call_id = place(api, "+8613800000007")

    recording = settled_recording(call_id)

    assert (recording.status, recording.operator_result) == ("recording_failed", "Fail")
    assert downloads(sandbox) == []
    detail = api.get(reverse("api-call-detail", args=[call_id])).json()
    assert detail["recording"] == {"status": "recording_failed", "url": None}


def test_a_call_that_never_connected_has_no_recording_to_fetch(api, member, sandbox):
    call_id = place(api, "+8613800000002")

    recording = settled_recording(call_id)

    assert (recording.status, recording.operator_result) == ("not_recorded", "NoRecord")
    assert downloads(sandbox) == []


def test_recording_off_for_the_members_department_asks_the_operator_not_to_record(
    api, member, sandbox, settings
):
    """With an operator that takes a recording flag (OPERATOR_RECORD_FIELD; the seed has none)."""
    from members.models import Department

    settings.OPERATOR_RECORD_FIELD = "record"
    sales = Department.objects.create(name="Sales")
    member.department = sales
    member.save()
    RecordingRule.objects.create(scope="enterprise", record=True)
    RecordingRule.objects.create(scope="department", department=sales, record=False)

    call_id = place(api, "+8613800000001")
    deadline = time.monotonic() + 10

    def disconnected() -> list[dict]:
        return [n.body for n in sandbox.notifications if n.body["status"] == "Disconnected"]

    # The sandbox keeps a notification once the portal has answered it, a moment after the
    # portal ended the call: wait for that, not for the call alone.
    while not disconnected():
        assert time.monotonic() < deadline
        time.sleep(0.05)

    assert Call.objects.get(pk=call_id).status == "ended"
    (begin,) = [r for r in sandbox.requests if r.path.endswith("/clicktodialbegin")]
    assert begin.body["record"] == 0
    assert "recordingResult" not in disconnected()[0]
    assert not Recording.objects.exists()
    assert api.get(reverse("api-call-detail", args=[call_id])).json()["recording"] is None
    assert not AuditLogEntry.objects.filter(object_type="Recording").exists()
