from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from operator_api import get_operator
from recordings import services
from recordings.models import Recording, RecordingRule


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = [
        "call",
        "recorded_at",
        "status",
        "attempts",
        "last_error",
        "audio_format",
        "size_bytes",
        "legal_hold",
        "retry_button",
    ]
    list_filter = ["status", "legal_hold", "audio_format"]
    search_fields = [
        "call__callidentifier",
        "operator_recording_id",
        "call__caller",
        "call__callee",
    ]
    list_select_related = ["call"]
    readonly_fields = [
        field.name for field in Recording._meta.fields if field.name not in ("legal_hold",)
    ]
    fields = [*readonly_fields, "legal_hold"]
    actions = ["retry_downloads"]

    @admin.display(description="")
    def retry_button(self, recording: Recording) -> str:
        if recording.status != Recording.Status.FAILED:
            return ""
        # A button of the change list's own form (which carries the CSRF token), posted to the
        # retry view: one click, no action menu.
        return format_html(
            '<button type="submit" formaction="{}" formmethod="post" name="next" value="{}">'
            "{}</button>",
            reverse("recording-retry", args=[recording.pk]),
            reverse("admin:recordings_recording_changelist"),
            gettext("Retry download"),
        )

    @admin.action(description=_("Retry the selected failed downloads"))
    def retry_downloads(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        retried = 0
        for recording in queryset.filter(status=Recording.Status.FAILED):
            services.recording_retry(recording=recording, actor=request.user)
            retried += 1
        self.message_user(
            request,
            ngettext("%(count)d download restarted.", "%(count)d downloads restarted.", retried)
            % {"count": retried},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change) -> None:
        # The hold goes through the service, which locks the row and writes the audit log.
        if change and "legal_hold" in form.changed_data:
            services.recording_hold(recording=obj, actor=request.user, hold=obj.legal_hold)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(RecordingRule)
class RecordingRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "scope", "department", "member", "record", "updated_by"]
    list_filter = ["scope", "record"]
    autocomplete_fields = []
    fields = ["scope", "department", "member", "record"]

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        self._operator_decides_note(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request: HttpRequest, *args, **kwargs):
        if request.method == "GET":
            self._operator_decides_note(request)
        return super().changeform_view(request, *args, **kwargs)

    @staticmethod
    def _operator_decides_note(request: HttpRequest) -> None:
        if not get_operator().asks_for_recording:
            messages.warning(
                request,
                _(
                    "The operator's API has no field for asking for a recording, so the operator "
                    "decides which calls are recorded (as agreed when the service was ordered), "
                    "and these rules change nothing. Where the operator takes such a field, set "
                    "OPERATOR_RECORD_FIELD to its name."
                ),
            )
