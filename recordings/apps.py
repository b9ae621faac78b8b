from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from audit.labels import audited_type_register

        # The tasks, registered in every process, web too: services send them by name.
        from recordings import tasks  # noqa: F401

        # Plays, downloads and admins' acts on a recording (recordings.services).
        audited_type_register("Recording", label=_("Recordings"))
        # Admins' changes to which calls are recorded (recordings.rules).
        from recordings.models import RecordingRule

        audited_type_register(
            "RecordingRule",
            label=_("Recording rules"),
            url_name="recording-rule-edit",
            fields={
                "scope": _("For"),
                "member": _("Member"),
                "record": _("Recorded"),
            },
            values={"scope": dict(RecordingRule.Scope.choices)},
        )
