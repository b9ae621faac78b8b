"""Factories for recordings tests: calls that ended with a recording, stored files, a fake
operator whose download a test scripts, and the finance persona."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.utils import timezone

from calls.models import Call
from members.models import Member
from recordings import services
from recordings.models import Recording
from sandbox.audio import tone_wav

WAV = tone_wav(2, sequence=3)  # 2 s of 8 kHz 16-bit mono: 32 044 bytes


def ended_call(member: Member, *, recording_result: str = "Success", **fields) -> Call:
    now = timezone.now()
    values = {
        "sponsor": "+861052680000",
        "caller": member.phone_number,
        "callee": "+8613800000001",
        "callee_name": "Li Wei",
        "status": Call.Status.ENDED,
        "reason": "HangUp",
        "callidentifier": f"CID{Call.objects.count() + 1:05d}",
        "connected_at": now - timedelta(seconds=20),
        "ended_at": now,
        "duration_seconds": 20,
        "recording_result": recording_result,
        "recording_id": "20261126211500" if recording_result == "Success" else "",
        **fields,
    }
    return Call.objects.create(member=member, **values)


def stored_recording(call: Call, *, audio: bytes = WAV, **fields) -> Recording:
    """A ready recording whose file is in (the test's) storage."""
    recording = Recording(
        call=call,
        operator_result="Success",
        operator_recording_id=call.recording_id or "r1",
        recorded_at=call.ended_at or timezone.now(),
        status=Recording.Status.READY,
        audio_format="wav",
        size_bytes=len(audio),
        duration_ms=2000,
        sha256="ab" * 32,
        downloaded_at=timezone.now(),
        **fields,
    )
    recording.file.save(f"call-{call.pk}.wav", ContentFile(audio), save=False)
    recording.save()
    return recording


class FakeOperator:
    """Answers recording downloads from a script: bytes to write, or an exception to raise."""

    def __init__(self) -> None:
        self.answers: list[bytes | Exception] = []
        self.downloads: list[tuple[str, str]] = []

    def recording_download(self, *, callidentifier: str, recording_id: str, destination) -> int:
        self.downloads.append((callidentifier, recording_id))
        answer = self.answers.pop(0) if self.answers else WAV
        if isinstance(answer, Exception):
            destination.write(b"RIFF partial")  # a half-written file must never be stored
            raise answer
        destination.write(answer)
        return len(answer)


def settled_recording(call_id: int, *, timeout: float = 15.0) -> Recording:
    """Wait for the call's recording to be ready or given up on (downloads run in a worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recording = Recording.objects.filter(call_id=call_id).first()
        if recording is not None and recording.is_settled:
            return recording
        time.sleep(0.05)
    call = Call.objects.get(pk=call_id)
    raise AssertionError(f"call {call_id} ({call.status}): recording never settled: {recording}")


@pytest.fixture
def fake_operator(monkeypatch) -> FakeOperator:
    fake = FakeOperator()
    monkeypatch.setattr(services, "get_operator", lambda: fake)
    return fake


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    user.user_permissions.add(Permission.objects.get(codename="view_usage_report"))
    return user


@pytest.fixture
def grant_all_recordings() -> Callable:
    def grant(user) -> None:
        user.user_permissions.add(Permission.objects.get(codename="access_all_recordings"))

    return grant


@pytest.fixture
def storage_files(settings) -> Callable[[], list[str]]:
    """Every file in the recordings storage, as paths relative to it."""
    from pathlib import Path

    def files() -> list[str]:
        root = Path(settings.STORAGES["recordings"]["OPTIONS"]["location"])
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    return files
