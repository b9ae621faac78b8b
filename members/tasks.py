"""Celery tasks for the pool: thin wrappers over members.pool (their names, members.tasks.*, are
in the beat schedule)."""

from celery import shared_task

from members.models import PoolAlert
from members.pool import alerts, services


@shared_task(bind=True, max_retries=5)
def pool_alert_send_task(self, alert_id: int) -> None:
    if not PoolAlert.objects.filter(pk=alert_id).exists():
        return
    try:
        alerts.pool_alert_send(alert_id=alert_id)
    except OSError as exc:  # the mail server is down: try again later
        raise self.retry(exc=exc, countdown=60) from exc


@shared_task
def pool_alerts_resend_task() -> None:
    """Alerts whose every try failed are sent again, until the mail server takes them."""
    for alert_id in alerts.pool_alerts_pending():
        pool_alert_send_task.delay(alert_id)


@shared_task
def pool_rollover_task() -> None:
    """Open this month's pool when the month begins, not at its first call: its balance is
    there for the admins' pages, the API and /metrics from the month's first minutes."""
    services.pool_current()
