"""Downloading one recording (the service the worker's task calls), with a scripted operator:
what is stored, what is refused, how failures are retried and when it gives up."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from operator_api import InvalidInputValue, OperatorError, OperatorUnreachable
from recordings import services
from recordings.models import Recording
from tests.recordings.conftest import WAV, ended_call
from tests.reliability import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    """Download tasks enqueued (after commit), instead of run: each test drives the service."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        "recordings.tasks.recording_download_task.apply_async",
        lambda args, countdown=0: calls.append((*args, countdown)),
    )
    return calls


def registered(member, django_capture_on_commit_callbacks, **call_fields) -> Recording:
    with django_capture_on_commit_callbacks(execute=True):
        recording = services.recording_register(call=ended_call(member, **call_fields))
    assert recording is not None
    return recording


def test_a_success_is_registered_pending_and_its_download_enqueued_after_commit(
    member, enqueued, django_capture_on_commit_callbacks
):
    recording = registered(member, django_capture_on_commit_callbacks)

    assert recording.status == "pending"
    assert recording.operator_recording_id == "20261126211500"
    assert enqueued == [(recording.pk, 0)]


@pytest.mark.reliability
def test_with_the_broker_away_the_recording_stays_due_for_the_sweep(
    member, monkeypatch, django_capture_on_commit_callbacks
):
    """The notification that ended the call is kept and answered as kept; the download is sent
    by the minute sweep once the broker is back."""

    def broker_down(args, countdown=0):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("recordings.tasks.recording_download_task.apply_async", broker_down)

    recording = registered(member, django_capture_on_commit_callbacks)

    assert recording.status == "pending"
    sent: list[int] = []
    monkeypatch.setattr(
        "recordings.tasks.recording_download_task.apply_async",
        lambda args, countdown=0: sent.append(args[0]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        swept = services.recordings_download_due(now=timezone.now() + timedelta(minutes=2))
    assert swept == 1
    assert sent == [recording.pk]
    record("operator faults", injected=1, survived=1)


@pytest.mark.parametrize(
    ("result", "status"), [("NoRecord", "not_recorded"), ("Fail", "recording_failed")]
)
def test_no_record_and_fail_are_registered_settled_and_nothing_is_fetched(
    member, enqueued, django_capture_on_commit_callbacks, result, status
):
    recording = registered(member, django_capture_on_commit_callbacks, recording_result=result)

    assert recording.status == status and recording.is_settled
    assert enqueued == []


def test_a_call_without_recording_result_registers_nothing(member, enqueued):
    assert services.recording_register(call=ended_call(member, recording_result="")) is None
    assert not Recording.objects.exists()


def test_a_download_stores_the_exact_bytes_with_format_size_duration_and_hash(
    member, fake_operator, enqueued, django_capture_on_commit_callbacks
):
    recording = registered(member, django_capture_on_commit_callbacks)

    outcome = services.recording_download(recording_id=recording.pk)

    recording.refresh_from_db()
    assert outcome.status == "ready" and outcome.retry_in is None
    assert fake_operator.downloads == [(recording.call.callidentifier, "20261126211500")]
    assert recording.status == "ready"
    assert (recording.audio_format, recording.size_bytes, recording.duration_ms) == (
        "wav",
        len(WAV),
        2000,
    )
    assert recording.sha256 == hashlib.sha256(WAV).hexdigest()
    assert recording.file.name.endswith(f"call-{recording.call_id}-20261126211500.wav")
    assert recording.file.name.startswith(f"{recording.recorded_at:%Y/%m}/")
    with recording.file.open("rb") as stored:
        assert stored.read() == WAV


def test_a_recording_is_claimed_once(
    member, fake_operator, enqueued, django_capture_on_commit_callbacks
):
    recording = registered(member, django_capture_on_commit_callbacks)
    services.recording_download(recording_id=recording.pk)

    again = services.recording_download(recording_id=recording.pk)

    assert again.status is None
    assert len(fake_operator.downloads) == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (OperatorError(message="The recording could not be decoded."), "decoded"),
        (b"", "empty recording"),
        (WAV[:5000], "damaged recording"),
        (OperatorUnreachable(), "cannot be reached"),
    ],
    ids=["corrupt base64", "empty", "truncated audio", "unreachable"],
)
def test_a_failed_attempt_keeps_the_error_stores_nothing_and_waits_with_backoff(
    member,
    fake_operator,
    enqueued,
    django_capture_on_commit_callbacks,
    storage_files,
    settings,
    answer,
    error,
):
    settings.RECORDING_DOWNLOAD_RETRY_DELAY = 30
    recording = registered(member, django_capture_on_commit_callbacks)
    fake_operator.answers = [answer]
    before = timezone.now()

    outcome = services.recording_download(recording_id=recording.pk)

    recording.refresh_from_db()
    assert outcome.status == "pending"
    assert 15 <= outcome.retry_in <= 30  # the first retry: 30 s, half of it jittered
    assert recording.status == "pending" and recording.attempts == 1
    assert error in recording.last_error
    assert recording.last_error_at >= before
    assert recording.next_attempt_at >= before + timedelta(seconds=15)
    assert recording.file.name in ("", None)
    assert storage_files() == []
    # Not due yet: a redelivered task does nothing.
    assert services.recording_download(recording_id=recording.pk).status is None


def test_it_gives_up_after_the_last_attempt(
    member, fake_operator, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.RECORDING_DOWNLOAD_MAX_ATTEMPTS = 3
    recording = registered(member, django_capture_on_commit_callbacks)
    fake_operator.answers = [OperatorUnreachable()] * 3
    later = timezone.now() + timedelta(days=1)

    outcomes = [services.recording_download(recording_id=recording.pk, now=later) for _ in range(3)]

    recording.refresh_from_db()
    assert [o.status for o in outcomes] == ["pending", "pending", "failed"]
    assert outcomes[-1].retry_in is None
    assert (recording.status, recording.attempts) == ("failed", 3)
    assert recording.next_attempt_at is None
    assert "cannot be reached" in recording.last_error


@pytest.mark.parametrize(
    ("answer", "error"),
    [(InvalidInputValue(), "rejected the request"), (b"<html>not audio</html>", "not a recording")],
)
def test_a_permanent_failure_gives_up_at_once(
    member,
    fake_operator,
    enqueued,
    django_capture_on_commit_callbacks,
    storage_files,
    answer,
    error,
):
    recording = registered(member, django_capture_on_commit_callbacks)
    fake_operator.answers = [answer]

    outcome = services.recording_download(recording_id=recording.pk)

    recording.refresh_from_db()
    assert (outcome.status, recording.status, recording.attempts) == ("failed", "failed", 1)
    assert error in recording.last_error
    assert storage_files() == []


def test_a_storage_failure_is_retried(
    member, fake_operator, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    recording = registered(member, django_capture_on_commit_callbacks)

    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", refuse)

    outcome = services.recording_download(recording_id=recording.pk)

    recording.refresh_from_db()
    assert (outcome.status, recording.status) == ("pending", "pending")
    assert "could not be saved to storage (OSError)" in recording.last_error


@pytest.mark.parametrize("attempt", [1, 2, 5, 12])
def test_the_backoff_doubles_with_jitter_up_to_a_ceiling(settings, attempt):
    settings.RECORDING_DOWNLOAD_RETRY_DELAY = 10
    settings.RECORDING_DOWNLOAD_RETRY_MAX_DELAY = 120
    ceiling = min(120, 10 * 2 ** (attempt - 1))

    delays = {services.download_retry_delay(attempt) for _ in range(50)}

    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1  # jittered


def test_the_sweeper_enqueues_lost_downloads_and_frees_stuck_ones(
    member, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.RECORDING_DOWNLOAD_TIME_LIMIT = 600
    now = timezone.now()
    lost = registered(member, django_capture_on_commit_callbacks)
    Recording.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=5))
    stuck = registered(member, django_capture_on_commit_callbacks, callidentifier="STUCK")
    Recording.objects.filter(pk=stuck.pk).update(
        status="downloading", claimed_at=now - timedelta(hours=1)
    )
    fresh = registered(member, django_capture_on_commit_callbacks, callidentifier="FRESH")
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        count = services.recordings_download_due(now=now + timedelta(minutes=2))

    stuck.refresh_from_db()
    assert stuck.status == "pending" and "interrupted" in stuck.last_error
    assert {args[0] for args in enqueued} == {lost.pk, stuck.pk, fresh.pk}
    assert count == 3


def test_a_retry_later_than_a_broker_keeps_a_task_is_sent_by_the_sweep_once_due(
    member, fake_operator, enqueued, django_capture_on_commit_callbacks, settings
):
    """A worker holding a task for an hour would be taken for dead by the broker (Redis'
    visibility timeout, RabbitMQ's consumer timeout): such a wait is the sweep's, not a
    countdown's."""
    from recordings.tasks import recording_download_task

    settings.RECORDING_DOWNLOAD_RETRY_DELAY = 2 * settings.TASK_COUNTDOWN_LIMIT
    settings.RECORDING_DOWNLOAD_RETRY_MAX_DELAY = 4 * settings.TASK_COUNTDOWN_LIMIT
    recording = registered(member, django_capture_on_commit_callbacks)
    enqueued.clear()
    fake_operator.answers = [OperatorUnreachable()]

    recording_download_task(recording.pk)

    recording.refresh_from_db()
    assert recording.status == "pending" and enqueued == []  # no countdown sent
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recordings_download_due(now=timezone.now()) == 0  # not due yet
    due = recording.next_attempt_at + timedelta(seconds=61)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recordings_download_due(now=due) == 1
    assert enqueued == [(recording.pk, 0)]
