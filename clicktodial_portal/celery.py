"""The Celery app, configured from Django settings (the `CELERY_` names)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")

app = Celery("clicktodial_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_retry.connect
def _retry_counted(sender: object = None, **kwargs: object) -> None:
    from clicktodial_portal.metrics import TASK_RETRIES

    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()
