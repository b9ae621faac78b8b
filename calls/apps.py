from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls")

    def ready(self) -> None:
        # The notify endpoint's system checks (calls/checks.py).
        # The tasks, registered in every process, web too: services send them by name.
        from calls import checks, tasks  # noqa: F401
        from calls.auditing import audit_labels_register
        from calls.metrics import CallsInProgressCollector
        from clicktodial_portal.metrics import state_collector_register

        audit_labels_register()
        state_collector_register(CallsInProgressCollector())
