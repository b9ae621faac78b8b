"""Reads for recordings: who may hear which, whether a call is to be recorded, how it reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clicktodial_portal.dates import local_midnight
from clicktodial_portal.sql import prepared_cursor
from recordings.models import Recording, RecordingRule

Status = Recording.Status

ACCESS_ALL_PERMISSION = "recordings.access_all_recordings"


def can_access_all_recordings(user: AbstractBaseUser) -> bool:
    """Admins hear every recording; so does anyone granted the permission (finance, say)."""
    return bool(user.is_staff or user.has_perm(ACCESS_ALL_PERMISSION))


def recordings_visible_to(user: AbstractBaseUser) -> QuerySet[Recording]:
    """Recordings the user may play: their own calls' (from their number or placed by them), or
    all for admins and holders of the permission. Anyone else finds none, so gets 404."""
    recordings = Recording.objects.select_related("call", "call__member")
    if not user.is_authenticated:
        return recordings.none()
    if can_access_all_recordings(user):
        return recordings
    return recordings.filter(Q(call__member__user=user) | Q(call__placed_by=user))


# The recordings page: calls with a recording (being fetched, stored, failed to download or
# deleted after the retention period); a call the operator did not record is not listed.
LISTED_STATUSES = (
    Status.READY,
    Status.PENDING,
    Status.DOWNLOADING,
    Status.FAILED,
    Status.EXPIRED,
)


@dataclass(frozen=True)
class RecordingFilters:
    date_from: date | None = None  # both days included, in the enterprise's time zone
    date_to: date | None = None
    member_id: int | None = None
    status: str = ""


def recordings_listed(*, user: AbstractBaseUser, filters: RecordingFilters) -> QuerySet[Recording]:
    """The recordings page's rows: recorded calls the user may hear, newest first, filtered."""
    recordings = recordings_visible_to(user).filter(status__in=LISTED_STATUSES)
    if filters.date_from:
        recordings = recordings.filter(recorded_at__gte=local_midnight(filters.date_from))
    if filters.date_to:
        following = local_midnight(filters.date_to + timedelta(days=1))
        recordings = recordings.filter(recorded_at__lt=following)
    if filters.member_id:
        recordings = recordings.filter(call__member_id=filters.member_id)
    if filters.status:
        recordings = recordings.filter(status=filters.status)
    return recordings.order_by("-recorded_at", "-id")


def recording_list_members(user: AbstractBaseUser) -> list[tuple[int, str]]:
    """(id, name) of the member numbers whose recorded calls the user may hear, by name: the
    choices of the page's member filter (read through the calls, as recordings knows no member)."""
    rows = (
        recordings_visible_to(user)
        .filter(status__in=LISTED_STATUSES)
        .values_list("call__member_id", "call__member__name")
        .order_by("call__member__name", "call__member_id")
        .distinct()
    )
    return list(rows)


class Caller(Protocol):
    """What recording_wanted reads of a member number (a members.Member, which recordings does
    not import): its id and its department's."""

    pk: int
    department_id: int | None


def recording_wanted(*, member: Caller) -> bool:
    """Whether a call from ``member`` asks the operator for a recording: the most specific rule
    (member, department, enterprise) decides, else the RECORDING_ENABLED setting."""
    # Plain SQL: the ORM's compiling of this OR of three scopes cost each begin about 1 ms of
    # CPU, the query itself a tenth of that (issue 20; py-spy of the calls worker, timeit).
    scope = RecordingRule.Scope
    with prepared_cursor() as cursor:
        cursor.execute(
            f"""
            SELECT record FROM {RecordingRule._meta.db_table}
            WHERE (scope = %s AND member_id = %s) OR (scope = %s AND department_id = %s)
                OR scope = %s
            ORDER BY CASE scope WHEN %s THEN 0 WHEN %s THEN 1 ELSE 2 END
            LIMIT 1
            """,  # noqa: S608 - our own model's table; the values are parameters
            [
                scope.MEMBER,
                member.pk,
                scope.DEPARTMENT,
                member.department_id,
                scope.ENTERPRISE,
                scope.MEMBER,
                scope.DEPARTMENT,
            ],
        )
        rule = cursor.fetchone()
    return bool(rule[0]) if rule else bool(settings.RECORDING_ENABLED)


def recording_status_label(recording: Recording) -> str:
    """How the recording's state reads on the call page."""
    match recording.status:
        case Status.PENDING if recording.attempts:
            return _("Recording: the download will be tried again shortly")
        case Status.PENDING | Status.DOWNLOADING:
            return _("Recording: fetching it from the operator…")
        case Status.READY:
            return _("Recording ready")
        case Status.FAILED:
            return _("Recording could not be downloaded")
        case Status.EXPIRED:
            return _("Recording deleted")
        case Status.NOT_RECORDED:
            return _("No recording: the operator recorded nothing")
        case Status.RECORDING_FAILED:
            return _("No recording: the operator's recording failed")
    return recording.get_status_display()


def duration_display(duration_ms: int | None) -> str:
    """20_000 → "0:20"; 3_725_000 → "1:02:05"."""
    if duration_ms is None:
        return ""
    seconds = round(duration_ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size_display(size_bytes: int | None) -> str:
    if size_bytes is None:
        return ""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.1f} {unit}"
    return ngettext("%(count)d byte", "%(count)d bytes", size_bytes) % {"count": size_bytes}


def recording_filename(recording: Recording) -> str:
    """The name a download is saved as: call-12-2026-11-26-2115.wav."""
    extension = recording.file.name.rsplit(".", 1)[-1] if "." in recording.file.name else "bin"
    recorded_at = timezone.localtime(recording.recorded_at)
    return f"call-{recording.call_id}-{recorded_at:%Y-%m-%d-%H%M}.{extension}"


def browser_can_play(recording: Recording) -> bool:
    """Browsers play WAV, MP3, Ogg, FLAC and M4A, not AMR: that one is offered as a download."""
    return recording.audio_format not in {Recording.Format.AMR, Recording.Format.AMR_WB}


CONTENT_TYPES = {
    Recording.Format.WAV: "audio/wav",
    Recording.Format.MP3: "audio/mpeg",
    Recording.Format.AMR: "audio/amr",
    Recording.Format.AMR_WB: "audio/amr-wb",
    Recording.Format.OGG: "audio/ogg",
    Recording.Format.FLAC: "audio/flac",
    Recording.Format.M4A: "audio/mp4",
}


def content_type_of(recording: Recording) -> str:
    return CONTENT_TYPES.get(recording.audio_format, "application/octet-stream")
