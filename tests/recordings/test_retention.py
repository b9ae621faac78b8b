"""Retention: old recordings' files are deleted and their rows kept as expired; held ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLogEntry
from recordings import services
from recordings.models import Recording
from recordings.tasks import recordings_expire_task
from tests.recordings.conftest import ended_call, stored_recording

pytestmark = pytest.mark.django_db


def recorded_days_ago(member, days: int, **fields) -> Recording:
    ended = timezone.now() - timedelta(days=days)
    call = ended_call(member, callidentifier=f"OLD{days}{len(fields)}", ended_at=ended)
    return stored_recording(call, **fields)


def test_the_retention_task_removes_an_old_file_and_keeps_a_held_one(
    member, settings, storage_files
):
    settings.RECORDING_RETENTION_DAYS = 30
    old = recorded_days_ago(member, 31)
    held = recorded_days_ago(member, 400, legal_hold=True, legal_hold_reason="Case 2026-17")
    recent = recorded_days_ago(member, 29)
    old_name = old.file.name

    recordings_expire_task.delay()

    old.refresh_from_db()
    held.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.file.name, old.expired_at is not None) == ("expired", "", True)
    assert (held.status, recent.status) == ("ready", "ready")
    assert storage_files() == sorted([held.file.name, recent.file.name])
    assert old_name not in storage_files()
    entry = AuditLogEntry.objects.get(object_type="Recording", action="expire")
    assert (entry.object_id, entry.actor, entry.after["file"]) == (str(old.pk), None, old_name)


def test_zero_days_keeps_everything(member, settings):
    settings.RECORDING_RETENTION_DAYS = 0
    recording = recorded_days_ago(member, 5000)

    assert services.recordings_expire() == 0
    recording.refresh_from_db()
    assert recording.status == "ready"


def test_a_file_storage_cannot_delete_is_tried_again_next_time(member, settings, monkeypatch):
    settings.RECORDING_RETENTION_DAYS = 1
    recording = recorded_days_ago(member, 3)

    def refuse(self, name):
        raise OSError("read-only file system")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage.delete", refuse)

    assert services.recordings_expire() == 0
    recording.refresh_from_db()
    assert recording.status == "ready" and recording.file.name


def test_releasing_a_hold_lets_retention_take_it(member, admin_user, settings):
    settings.RECORDING_RETENTION_DAYS = 1
    recording = recorded_days_ago(member, 3, legal_hold=True)
    assert services.recordings_expire() == 0

    services.recording_hold(recording=recording, actor=admin_user, hold=False)

    assert services.recordings_expire() == 1
    actions = list(
        AuditLogEntry.objects.filter(object_type="Recording").values_list("action", flat=True)
    )
    assert sorted(actions) == ["expire", "release_hold"]
