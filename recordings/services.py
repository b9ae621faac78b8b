"""Writes for recordings: registering them when a call ends, downloading, retrying, holding,
expiring, and writing every access to the audit log.

A download is claimed with a conditional update (pending → downloading) so that two workers, a
redelivered task or the sweeper never fetch the same recording twice; the audio is decoded into a
temporary file, checked, and only then handed to storage, so a corrupt or empty answer never
becomes a stored file.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, BinaryIO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from kombu.exceptions import OperationalError as KombuOperationalError

from audit.models import AuditLogEntry
from audit.services import audit_record
from clicktodial_portal import metrics
from clicktodial_portal.celery import retry_delay, task_send
from operator_api import OperatorError, RecordingResult, get_operator
from recordings.audio import BrokenAudio, UnknownFormat, inspect_audio
from recordings.models import Recording
from recordings.signals import recording_ready

if TYPE_CHECKING:
    from calls.models import Call

logger = logging.getLogger(__name__)

Status = Recording.Status

_STATUS_FOR_RESULT = {
    RecordingResult.SUCCESS: Status.PENDING,
    RecordingResult.NO_RECORD: Status.NOT_RECORDED,
    RecordingResult.FAIL: Status.RECORDING_FAILED,
}


class RecordingNotAllowed(Exception):
    """An action on a recording that cannot be done now; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Registering a call's recording


def recording_register(*, call: Call) -> Recording | None:
    """Record what the operator said about an ended call's recording, inside the transaction that
    ends the call; a `Success` is downloaded by a worker once that transaction commits."""
    recording = recording_for(call)
    if recording is None:
        return None
    # The caller holds the call's row lock, so no one else registers it meanwhile: a plain look
    # and insert, without get_or_create's savepoint (two round trips fewer per ended call).
    existing = Recording.objects.filter(call=call).first()
    if existing is not None:
        return existing
    recording.save()
    recording_registered(recording)
    return recording


def recording_for(call: Call) -> Recording | None:
    """The recording row (unsaved) that an ended call's report of its recording makes; None when
    recording was off for the call (the operator reported nothing)."""
    result = call.recording_result
    if not result:
        return None
    status = _STATUS_FOR_RESULT.get(RecordingResult(result), Status.NOT_RECORDED)
    if status == Status.PENDING and not call.recording_id:
        status = Status.RECORDING_FAILED  # a success with nothing to fetch is no recording
    return Recording(
        call_id=call.pk,
        operator_result=result,
        operator_recording_id=call.recording_id,
        recorded_at=call.ended_at or timezone.now(),
        status=status,
        next_attempt_at=timezone.now() if status == Status.PENDING else None,
        last_error=gettext_noop("The operator's recording failed.")
        if status == Status.RECORDING_FAILED
        else "",
    )


def recording_registered(recording: Recording) -> None:
    """What follows a recording's row being written: its download, once that commits."""
    if recording.status == Status.PENDING:
        _enqueue_download(recording.pk)


# Sent by name (clicktodial_portal.celery.task_send): recordings.tasks imports this module.
DOWNLOAD_TASK = "recordings.tasks.recording_download_task"


def _enqueue_download(recording_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(lambda: _download_task_send(recording_id, countdown=countdown))


def _download_task_send(recording_id: int, *, countdown: float) -> None:
    """Send the download task. With the broker away, the recording stays due and the minute
    sweep (recordings_download_due) sends it later: the transaction that registered it (a
    notification's) has committed and must not be answered as a failure for this."""
    try:
        task_send(DOWNLOAD_TASK, recording_id, countdown=countdown)
    except (KombuOperationalError, OSError) as exc:
        logger.warning("recording %s: download not queued (%s); the sweep will", recording_id, exc)


# Downloading


@dataclass(frozen=True)
class DownloadOutcome:
    """What a download attempt did; `retry_in` (seconds) when another attempt is due."""

    status: str | None  # None: the recording was not there to claim (taken, gone, not due)
    retry_in: float | None = None


class _Rejected(Exception):
    """The answer was received but is not a recording the portal will store."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class _HashingWriter:
    """Writes to a file and hashes what passes through, so the file is never read twice."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return self._file.write(data)


def recording_download(*, recording_id: int, now: datetime | None = None) -> DownloadOutcome:
    """Try once to fetch a pending recording into storage; the worker's task calls this."""
    now = now or timezone.now()
    claimed = (
        Recording.objects.filter(pk=recording_id, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=Status.DOWNLOADING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            updated_at=now,
        )
    )
    if claimed != 1:
        logger.info("recording %s: not due for download, skipped", recording_id)
        return DownloadOutcome(None)
    recording = Recording.objects.select_related("call").get(pk=recording_id)

    temporary = TemporaryUploadedFile("recording", "application/octet-stream", 0, None)
    try:
        try:
            stored_name, details = _fetch_and_store(recording, temporary)
        except OperatorError as exc:
            return _download_failed(recording, exc.message, permanent=exc.permanent)
        except _Rejected as exc:
            return _download_failed(recording, exc.message, permanent=exc.permanent)
        except SoftTimeLimitExceeded:
            return _download_failed(
                recording,
                gettext_noop("The download took too long and was stopped."),
                permanent=False,
            )
    finally:
        temporary.close()  # removes the temporary file unless storage moved it away

    with transaction.atomic():
        updated = Recording.objects.filter(pk=recording_id, status=Status.DOWNLOADING).update(
            status=Status.READY,
            file=stored_name,
            downloaded_at=timezone.now(),
            next_attempt_at=None,
            last_error="",
            updated_at=timezone.now(),
            **details,
        )
        if updated == 1:
            recording.refresh_from_db()
            recording_ready.send(sender=Recording, recording=recording)
    if updated != 1:
        # Taken from us meanwhile (an admin reset it): the stored copy is nobody's.
        recording.file.storage.delete(stored_name)
        return DownloadOutcome(None)
    metrics.RECORDING_DOWNLOADS.labels("ready").inc()
    logger.info(
        "recording %s: stored %s (%s bytes)", recording_id, stored_name, details["size_bytes"]
    )
    return DownloadOutcome(Status.READY)


def _fetch_and_store(recording: Recording, temporary: TemporaryUploadedFile) -> tuple[str, dict]:
    """Download into ``temporary``, check it is audio, then save it to storage."""
    writer = _HashingWriter(temporary)
    size = get_operator().recording_download(
        callidentifier=recording.call.callidentifier or "",
        recording_id=recording.operator_recording_id,
        destination=writer,  # type: ignore[arg-type]
    )
    temporary.flush()
    if size == 0:
        raise _Rejected(gettext_noop("The operator sent an empty recording."), permanent=False)
    try:
        info = inspect_audio(temporary.file)
    except UnknownFormat as exc:
        raise _Rejected(
            f"The operator sent a file that is not a recording the portal can read ({exc}).",
            permanent=True,
        ) from exc
    except BrokenAudio as exc:
        raise _Rejected(f"The operator sent a damaged recording: {exc}.", permanent=False) from exc
    temporary.size = size
    name = f"call-{recording.call_id}-{recording.operator_recording_id}.{info.extension}"
    try:
        recording.file.save(name, temporary, save=False)
    except Exception as exc:  # any storage backend's failure: local disk, S3, ...
        logger.exception("recording %s: storage refused the file", recording.pk)
        raise _Rejected(
            f"The recording could not be saved to storage ({type(exc).__name__}).",
            permanent=False,
        ) from exc
    return recording.file.name, {
        "size_bytes": size,
        "sha256": writer.sha256.hexdigest(),
        "audio_format": info.audio_format,
        "duration_ms": info.duration_ms,
    }


def download_retry_delay(attempt: int) -> float:
    """Seconds before the next try after failed attempt number `attempt` (1 for the first)."""
    return retry_delay(
        settings.RECORDING_DOWNLOAD_RETRY_DELAY,
        max(0, attempt - 1),
        most=settings.RECORDING_DOWNLOAD_RETRY_MAX_DELAY,
    )


def _download_failed(recording: Recording, message: str, *, permanent: bool) -> DownloadOutcome:
    now = timezone.now()
    attempts = recording.attempts
    gives_up = permanent or attempts >= settings.RECORDING_DOWNLOAD_MAX_ATTEMPTS
    delay = None if gives_up else download_retry_delay(attempts)
    Recording.objects.filter(pk=recording.pk, status=Status.DOWNLOADING).update(
        status=Status.FAILED if gives_up else Status.PENDING,
        last_error=message[:500],
        last_error_at=now,
        next_attempt_at=None if delay is None else now + timedelta(seconds=delay),
        updated_at=now,
    )
    metrics.RECORDING_DOWNLOADS.labels("failed" if gives_up else "retry").inc()
    logger.warning(
        "recording %s: attempt %d failed%s: %s",
        recording.pk,
        attempts,
        "; giving up" if gives_up else f"; next in {delay:.0f} s",
        message,
    )
    return DownloadOutcome(Status.FAILED if gives_up else Status.PENDING, retry_in=delay)


def recordings_download_due(*, now: datetime | None = None) -> int:
    """Enqueue downloads whose task was lost, and free ones a dead worker left claimed.

    Each due recording normally has a task waiting; this sweep (every minute) only matters when
    the broker lost one or a worker died mid-download. Claiming is conditional, so a recording
    enqueued twice is still fetched once.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RECORDING_DOWNLOAD_TIME_LIMIT + 60)
    freed = Recording.objects.filter(status=Status.DOWNLOADING, claimed_at__lt=stale)
    # Due for a minute already: its own task should have run by now.
    lost = Recording.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now - timedelta(seconds=60)
    )
    recording_ids = [*freed.values_list("pk", flat=True), *lost.values_list("pk", flat=True)]
    freed.filter(pk__in=recording_ids).update(
        status=Status.PENDING,
        next_attempt_at=now,
        last_error=gettext_noop(
            "The download was interrupted (its worker stopped); it will be tried again."
        ),
        last_error_at=now,
        updated_at=now,
    )
    for recording_id in recording_ids:
        _enqueue_download(recording_id)
    return len(recording_ids)


# Admin actions


def recording_retry(*, recording: Recording, actor: AbstractBaseUser) -> Recording:
    """Start the downloads over for a recording that failed (an admin's one click)."""
    with transaction.atomic():
        recording = Recording.objects.select_for_update().get(pk=recording.pk)
        if recording.status != Status.FAILED:
            raise RecordingNotAllowed(
                # Translators: the status is a recording status, e.g. "ready" or "deleted after
                # the retention period".
                _("Only a failed download can be retried; this recording is %(status)s.")
                % {"status": recording.get_status_display().lower()}
            )
        recording.status = Status.PENDING
        recording.attempts = 0
        recording.next_attempt_at = timezone.now()
        recording.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        recording_audit(actor=actor, recording=recording, action=AuditLogEntry.Action.RETRY)
        _enqueue_download(recording.pk)
    return recording


def recording_hold(
    *, recording: Recording, actor: AbstractBaseUser, hold: bool, reason: str = ""
) -> Recording:
    """Put a recording on legal hold (retention keeps it) or release it."""
    with transaction.atomic():
        recording = Recording.objects.select_for_update().get(pk=recording.pk)
        if hold and recording.status == Status.EXPIRED:
            raise RecordingNotAllowed(
                _("This recording was already deleted; there is nothing to hold.")
            )
        recording.legal_hold = hold
        recording.legal_hold_reason = reason[:300] if hold else ""
        recording.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
        recording_audit(
            actor=actor,
            recording=recording,
            action=AuditLogEntry.Action.HOLD if hold else AuditLogEntry.Action.RELEASE_HOLD,
            details={"reason": reason} if hold and reason else None,
        )
    return recording


# Retention


def recordings_expire(*, now: datetime | None = None) -> int:
    """Delete the files of recordings older than RECORDING_RETENTION_DAYS; return how many.

    The row stays, marked expired. A recording on legal hold is kept. The file is deleted before
    the row changes: if storage fails, the recording is still listed as stored and the next run
    tries again, rather than a file being left behind that no row knows of.
    """
    days = settings.RECORDING_RETENTION_DAYS
    if days <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    candidates = Recording.objects.filter(
        status=Status.READY, recorded_at__lt=cutoff, legal_hold=False
    ).values_list("pk", flat=True)
    expired = 0
    for recording_id in candidates:
        with transaction.atomic():
            recording = Recording.objects.select_for_update().get(pk=recording_id)
            if recording.status != Status.READY or recording.legal_hold:
                continue  # held or changed since the query
            name = recording.file.name
            try:
                recording.file.storage.delete(name)
            except Exception:  # any storage backend's failure; the next run tries again
                logger.exception("recording %s: could not delete %s", recording_id, name)
                continue
            recording.status = Status.EXPIRED
            recording.file = ""
            recording.expired_at = now
            recording.save(update_fields=["status", "file", "expired_at", "updated_at"])
            recording_audit(
                actor=None,
                recording=recording,
                action=AuditLogEntry.Action.EXPIRE,
                details={"file": name},
            )
            expired += 1
    if expired:
        logger.info("%d recordings deleted after %d days", expired, days)
    return expired


# The audit log


def recording_audit(
    *,
    actor: AbstractBaseUser | None,
    recording: Recording,
    action: str,
    details: dict[str, str] | None = None,
) -> AuditLogEntry:
    """Write a play, download or admin action on a recording to the portal's audit log."""
    call = recording.call
    return audit_record(
        actor=actor,
        action=action,
        obj=recording,
        object_repr=f"Recording of call {call.pk}: {call.caller} → {call.callee}",
        after={"call": str(call.pk), **(details or {})},
    )


def recording_access_record(
    *, actor: AbstractBaseUser, recording: Recording, download: bool, byte_range: str
) -> AuditLogEntry | None:
    """Audit one request for the audio.

    Every download is written. A player asks again for each seek; those follow-up requests
    within PLAY_AUDIT_WINDOW of the same person's last play are one listening, written once.
    """
    action = AuditLogEntry.Action.DOWNLOAD if download else AuditLogEntry.Action.PLAY
    if not download:
        window_start = timezone.now() - timedelta(seconds=settings.RECORDING_PLAY_AUDIT_WINDOW)
        already = AuditLogEntry.objects.filter(
            object_type="Recording",
            object_id=str(recording.pk),
            actor=actor,
            action=AuditLogEntry.Action.PLAY,
            at__gte=window_start,
        ).exists()
        if already:
            return None
    return recording_audit(
        actor=actor, recording=recording, action=action, details={"range": byte_range or "all"}
    )
