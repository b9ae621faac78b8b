"""Recordings in S3-compatible object storage, chosen by settings alone (moto's S3 server, over
HTTP, stands in for it):
stored, served through a signed URL, and deleted by retention."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings import services
from tests.recordings.conftest import WAV, ended_call

pytestmark = pytest.mark.django_db

BUCKET = "portal-recordings"


@pytest.fixture
def s3(s3_recordings):
    client = s3_recordings(BUCKET)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_a_recording_goes_to_the_bucket_is_served_by_signed_url_and_expires(
    s3, api, member, fake_operator, settings, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("recordings.tasks.recording_download_task.apply_async", lambda *a, **k: 0)
    with django_capture_on_commit_callbacks(execute=True):
        recording = services.recording_register(call=ended_call(member))

    services.recording_download(recording_id=recording.pk)

    recording.refresh_from_db()
    key = f"recordings/{recording.file.name}"
    assert recording.status == "ready"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == WAV

    settings.RECORDING_DELIVERY = "storage-url"
    response = api.get(reverse("api-call-recording", args=[recording.call_id]))
    assert response.status_code == 302
    location = response["Location"]
    assert f"/{BUCKET}/{key}" in location or f"{BUCKET}.s3" in location
    assert "Signature" in location and "response-content-type=audio%2Fwav" in location

    settings.RECORDING_RETENTION_DAYS = 1
    assert services.recordings_expire(now=timezone.now() + timedelta(days=2)) == 1
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_the_environment_alone_chooses_s3(tmp_path):
    script = (
        "import json, django; django.setup(); "
        "from django.core.files.storage import storages; s = storages['recordings']; "
        "print(json.dumps([type(s).__name__, s.bucket_name, s.endpoint_url, s.location]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clicktodial_portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
        "AWS_STORAGE_BUCKET_NAME": "calls-audio",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    result = subprocess.run(  # noqa: S603 -- this interpreter, a fixed script
        [sys.executable, "-c", script],
        env=env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "S3Storage",
        "calls-audio",
        "http://127.0.0.1:9000",
        "recordings",
    ]
