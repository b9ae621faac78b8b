from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Listens to the calls' and recordings' signals (webhooks.outbox); they do not import it."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The receivers, and the tasks, registered in every process: services send them by name.
        from calls.services import progress
        from webhooks import outbox, tasks  # noqa: F401

        progress.shortcut_guard_add(outbox.ANY_ENDPOINT_SQL)
