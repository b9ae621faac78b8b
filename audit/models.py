"""The audit log's one model."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditLogEntry(models.Model):
    """Who did what to which object, when, from what to what. Written by audit.services only."""

    class Action(models.TextChoices):
        # Translators: what was done, in the audit log's Action column.
        CREATE = "create", pgettext_lazy("audit action", "Created")
        UPDATE = "update", pgettext_lazy("audit action", "Changed")
        REMOVE = "remove", pgettext_lazy("audit action", "Removed")
        IMPORT = "import", pgettext_lazy("audit action", "Imported")
        # What is done with a call's recording (recordings.services).
        PLAY = "play", pgettext_lazy("audit action", "Played")
        DOWNLOAD = "download", pgettext_lazy("audit action", "Downloaded")
        RETRY = "retry", pgettext_lazy("audit action", "Download retried")
        HOLD = "hold", pgettext_lazy("audit action", "Put on legal hold")
        RELEASE_HOLD = "release_hold", pgettext_lazy("audit action", "Legal hold released")
        EXPIRE = "expire", pgettext_lazy("audit action", "Deleted by retention")
        # A call whose outcome was unknown, settled by an admin (calls' call_settle).
        SETTLE = "settle", pgettext_lazy("audit action", "Settled by hand")
        # What an admin does to a portal user's login (accounts.services).
        PASSWORD_LINK = "password_link", pgettext_lazy("audit action", "Set-password link sent")
        UNLOCK = "unlock", pgettext_lazy("audit action", "Login unlocked")

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50)
    object_repr = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        # The table the members app created: the model moved here, its rows did not (migrations
        # members 0007 and audit 0001 move it in Django's state only).
        db_table = "members_auditlogentry"
        ordering = ["-at", "-id"]
        indexes = [
            # An object's history, newest first (the name it was created with, in members).
            models.Index(fields=["object_type", "object_id"], name="members_audit_object_idx"),
            # The log's page, newest first, and its date filter.
            models.Index(fields=["at"], name="audit_auditlogentry_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
