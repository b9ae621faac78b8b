"""The minute pool's periods: each calendar month's pool, opened on first use with the last
month's terms, and the admins' changes to it (audited)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from audit.services import audit_record
from members.auditing import snapshot
from members.exceptions import MemberInvalid
from members.models import MinutePool
from members.pool.alerts import alerts_raise


def period_bounds(day: date) -> tuple[date, date]:
    """The billing period (a calendar month) that contains `day`: first and last day."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def pool_for_day(day: date) -> MinutePool:
    """The pool of the period containing `day`, opened on first use with the last period's terms.

    Periods roll over on their own: the first call (or look) in a new month opens its pool.
    """
    start, end = period_bounds(day)
    pool = MinutePool.objects.filter(period_start=start).first()
    if pool is not None:
        return pool
    previous = MinutePool.objects.filter(period_start__lt=start).order_by("-period_start").first()
    if previous is not None:
        terms = snapshot(previous)
    else:
        terms = {
            "minutes_allotted": settings.POOL_DEFAULT_MINUTES,
            "billing_rule": MinutePool.BillingRule.PER_MINUTE,
            "when_exhausted": MinutePool.WhenExhausted.REFUSE,
            "alert_thresholds": settings.POOL_ALERT_THRESHOLDS,
        }
    # get_or_create: two processes opening the same month at once end with one pool.
    pool, _ = MinutePool.objects.get_or_create(
        period_start=start, defaults={"period_end": end, **terms}
    )
    return pool


def pool_current() -> MinutePool:
    return pool_for_day(timezone.localdate())


@transaction.atomic
def pool_update(*, actor: AbstractBaseUser | None, pool: MinutePool, **fields: Any) -> MinutePool:
    pool = MinutePool.objects.select_for_update().get(pk=pool.pk)
    before = snapshot(pool)
    if "alert_thresholds" in fields:
        thresholds = sorted({int(t) for t in fields["alert_thresholds"]})
        if any(not 0 < t <= 1000 for t in thresholds):
            raise MemberInvalid(_("Thresholds are percentages above 0."), field="alert_thresholds")
        fields["alert_thresholds"] = thresholds
    for name, value in fields.items():
        setattr(pool, name, value)
    pool.save()
    if snapshot(pool) != before:
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            obj=pool,
            before=before,
            after=snapshot(pool),
        )
    # A smaller allotment can cross thresholds without a call.
    alerts_raise(pool=pool)
    return pool
