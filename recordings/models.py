"""A call's recording: what the operator reported, the download's progress, and the stored file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recordings.storage import get_recordings_storage, recording_upload_to


class Recording(models.Model):
    """The recording of one call, from the operator's Disconnected notification on.

    A row exists for every call the operator reported a recording result for; only a `Success`
    with a recording id is downloaded. The file is deleted by retention (the row stays, `expired`)
    unless the recording is on legal hold.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be downloaded")
        DOWNLOADING = "downloading", _("Downloading")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Download failed")
        EXPIRED = "expired", _("Deleted after the retention period")
        NOT_RECORDED = "not_recorded", _("Not recorded")
        RECORDING_FAILED = "recording_failed", _("Recording failed at the operator")

    class Format(models.TextChoices):
        WAV = "wav", "WAV"
        MP3 = "mp3", "MP3"
        AMR = "amr", "AMR"
        AMR_WB = "amr_wb", "AMR-WB"
        OGG = "ogg", "Ogg"
        FLAC = "flac", "FLAC"
        M4A = "m4a", "M4A"

    # Statuses after which nothing more happens on its own (the call page stops asking).
    SETTLED = frozenset(
        {Status.READY, Status.FAILED, Status.EXPIRED, Status.NOT_RECORDED, Status.RECORDING_FAILED}
    )

    call = models.OneToOneField("calls.Call", on_delete=models.PROTECT, related_name="recording")
    # The operator's words: recordingResult (Success, NoRecord, Fail) and recordingId.
    operator_result = models.CharField(max_length=20)
    operator_recording_id = models.CharField(max_length=100, blank=True)
    # When the call ended: the recording's age for retention.
    recorded_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)

    file = models.FileField(
        upload_to=recording_upload_to, storage=get_recordings_storage, max_length=300, blank=True
    )
    audio_format = models.CharField(max_length=10, choices=Format.choices, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    # Downloading: tries so far, when the next may start, when a worker took it, what went wrong.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            # The sweeper: pending downloads that are due.
            models.Index(fields=["status", "next_attempt_at"], name="recordings_due_idx"),
            # Retention: stored recordings older than the cutoff.
            models.Index(fields=["status", "recorded_at"], name="recordings_retention_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & Q(size_bytes__gt=0)),
                name="recordings_recording_ready_has_file",
            ),
            # A Success reported without its id is kept as the operator's failure to record
            # (there is nothing to fetch), with the operator's word as sent.
            models.CheckConstraint(
                condition=~Q(operator_result="Success")
                | ~Q(operator_recording_id="")
                | Q(status="recording_failed"),
                name="recordings_recording_success_has_id",
            ),
        ]
        permissions = [
            ("access_all_recordings", "Can play and download every call's recording"),
        ]

    def __str__(self) -> str:
        # Translators: the status in parentheses is its code (pending, ready, failed, ...).
        return gettext("Recording of call %(call)s (%(status)s)") % {
            "call": self.call_id,
            "status": self.status,
        }

    @property
    def is_settled(self) -> bool:
        return self.status in self.SETTLED

    @property
    def duration_seconds(self) -> float | None:
        return None if self.duration_ms is None else self.duration_ms / 1000


class RecordingRule(models.Model):
    """Whether calls are recorded: for the whole enterprise, one department or one member.

    The most specific rule wins (member, then department, then enterprise); with none, the
    RECORDING_ENABLED setting decides.
    """

    class Scope(models.TextChoices):
        ENTERPRISE = "enterprise", _("The whole enterprise")
        DEPARTMENT = "department", _("A department")
        MEMBER = "member", _("A member")

    scope = models.CharField(max_length=20, choices=Scope.choices)
    department = models.ForeignKey(
        "members.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    record = models.BooleanField(help_text=_("Record the calls this rule covers."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("recording rule")
        verbose_name_plural = _("recording rules")
        ordering = ["scope", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="enterprise", department__isnull=True, member__isnull=True)
                    | Q(scope="department", department__isnull=False, member__isnull=True)
                    | Q(scope="member", department__isnull=True, member__isnull=False)
                ),
                name="recordings_recordingrule_scope_matches_target",
            ),
            models.UniqueConstraint(
                fields=["scope"],
                condition=Q(scope="enterprise"),
                name="recordings_recordingrule_one_enterprise_rule",
            ),
            models.UniqueConstraint(
                fields=["department"], name="recordings_recordingrule_one_per_department"
            ),
            models.UniqueConstraint(
                fields=["member"], name="recordings_recordingrule_one_per_member"
            ),
        ]

    def __str__(self) -> str:
        if self.scope == self.Scope.ENTERPRISE:
            if self.record:
                return gettext("Record calls of the enterprise: yes")
            return gettext("Record calls of the enterprise: no")
        if self.scope == self.Scope.DEPARTMENT:
            if self.record:
                text = gettext("Record calls of department %(department)s: yes")
            else:
                text = gettext("Record calls of department %(department)s: no")
            return text % {"department": self.department}
        if self.record:
            text = gettext("Record calls of member %(member)s: yes")
        else:
            text = gettext("Record calls of member %(member)s: no")
        return text % {"member": self.member}
