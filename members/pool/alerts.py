"""The pool's threshold alerts: each crossed threshold recorded once per period, and mailed to the
admins once, after the transaction that crossed it commits."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from clicktodial_portal.celery import task_send_on_commit
from members.models import MinutePool, PoolAlert, minutes_display

logger = logging.getLogger(__name__)


# Sent by name (clicktodial_portal.celery.task_send): members.tasks imports this module.
ALERT_TASK = "members.tasks.pool_alert_send_task"


def alerts_raise(*, pool: MinutePool) -> None:
    """Record each threshold the pool (as it stands in this transaction) has crossed, once, and
    mail the admins after commit."""
    percent = pool.percent_used
    crossed = [threshold for threshold in pool.alert_thresholds if percent >= threshold]
    if not crossed:
        return
    # Once the pool is past a threshold, every billed end of the month comes here: one read of
    # what is raised already, not a get_or_create's read for each threshold crossed.
    raised = set(
        PoolAlert.objects.filter(pool=pool, threshold__in=crossed).values_list(
            "threshold", flat=True
        )
    )
    for threshold in sorted(set(crossed) - raised):
        alert, created = PoolAlert.objects.get_or_create(
            pool=pool, threshold=threshold, defaults={"percent_used": percent}
        )
        if created:
            task_send_on_commit(ALERT_TASK, alert.pk)


def pool_alert_recipients() -> list[str]:
    """Who gets the alerts: the users an admin chose on the Users page (each user's "receives
    pool alerts", accounts' Preference), by default every admin; and POOL_ALERT_EMAILS."""
    chosen = Q(preference__pool_alerts=True) | Q(
        is_staff=True, preference__pool_alerts__isnull=True
    )
    users = (
        get_user_model()
        .objects.filter(chosen, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted({*users, *settings.POOL_ALERT_EMAILS})


def pool_alert_send(*, alert_id: int) -> None:
    """E-mail the admins that the pool crossed a threshold; each alert goes out at most once.

    The alert is claimed with a conditional update before sending, so a redelivered task or the
    re-sender never mails it twice; if sending fails the claim is given back for a retry.
    """
    claimed = PoolAlert.objects.filter(pk=alert_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), updated_at=timezone.now()
    )
    if not claimed:
        return
    alert = PoolAlert.objects.select_related("pool").get(pk=alert_id)
    pool = alert.pool
    recipients = pool_alert_recipients()
    try:
        if recipients:
            send_mail(
                subject=(
                    f"Click to Dial: {alert.threshold} % of {pool.period_start:%B %Y}'s "
                    "minutes used"
                ),
                message=(
                    f"The enterprise's shared pool for {pool.period_start:%B %Y} crossed "
                    f"{alert.threshold} % of its {pool.minutes_allotted} minutes "
                    f"(at {alert.percent_used} %, {alert.created_at:%Y-%m-%d %H:%M %Z}).\n"
                    f"Now used: {minutes_display(pool.minutes_used)} of "
                    f"{pool.minutes_allotted} minutes.\n\n"
                    f"Period: {pool.period_start} to {pool.period_end}.\n"
                    f"See the pool: {settings.PORTAL_BASE_URL}/pool/\n"
                ),
                from_email=None,
                recipient_list=recipients,
            )
    except Exception:
        PoolAlert.objects.filter(pk=alert_id).update(sent_at=None, updated_at=timezone.now())
        raise
    PoolAlert.objects.filter(pk=alert_id).update(
        recipients=", ".join(recipients), updated_at=timezone.now()
    )
    logger.info("pool alert %s %% sent to %d recipients", alert.threshold, len(recipients))


def pool_alerts_pending() -> list[int]:
    """Alerts whose mail has not gone out a while after they were raised (the mail was down)."""
    stale = timezone.now() - timedelta(minutes=10)
    return list(
        PoolAlert.objects.filter(sent_at__isnull=True, created_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
