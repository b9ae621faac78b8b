"""Writes for members, departments, business numbers, the minute pool and its ledger.

Every change to members, departments, business numbers and the pool is written to the audit log
in the same transaction as the change itself.
"""

from __future__ import annotations

import calendar
import logging
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from members.models import (
    AuditLogEntry,
    BusinessNumber,
    Department,
    Member,
    MinutePool,
    PoolAlert,
    UsageDaily,
    UsageEntry,
    UsageMonthly,
    minutes_display,
    seconds_to_minutes,
)
from operator_api import InvalidPhoneNumber, normalize_number

if TYPE_CHECKING:
    from calls.models import Call

logger = logging.getLogger(__name__)


class MemberInvalid(Exception):
    """Input that cannot be saved; `message` says why, `field` where."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# The audit log


def snapshot(obj: Member | Department | BusinessNumber | MinutePool) -> dict[str, Any]:
    """The fields a person cares about, as text, for the log's before → after."""
    if isinstance(obj, Member):
        return {
            "name": obj.name,
            "phone_number": obj.phone_number,
            "department": obj.department.name if obj.department else None,
            "user": obj.user.get_username() if obj.user else None,
            "status": obj.status,
            "minutes_cap": obj.minutes_cap,
        }
    if isinstance(obj, Department):
        return {
            "name": obj.name,
            "business_number": obj.business_number.phone_number if obj.business_number else None,
            "minutes_cap": obj.minutes_cap,
        }
    if isinstance(obj, BusinessNumber):
        return {"phone_number": obj.phone_number, "label": obj.label, "is_default": obj.is_default}
    return {
        "minutes_allotted": obj.minutes_allotted,
        "billing_rule": obj.billing_rule,
        "when_exhausted": obj.when_exhausted,
        "alert_thresholds": obj.alert_thresholds,
    }


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: Member | Department | BusinessNumber | MinutePool,
    before: dict[str, Any] | None,
) -> AuditLogEntry:
    after = None if action == AuditLogEntry.Action.REMOVE and obj.pk is None else snapshot(obj)
    return AuditLogEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
    )


# Members


def phone_number_normalize(raw: str, *, field: str = "phone_number") -> str:
    try:
        return normalize_number(str(raw), default_region=settings.PHONE_DEFAULT_REGION)
    except InvalidPhoneNumber as exc:
        raise MemberInvalid(str(exc), field=field) from exc


def _member_number(raw: str, *, exclude_pk: int | None = None) -> str:
    number = phone_number_normalize(raw)
    if Member.objects.filter(phone_number=number).exclude(pk=exclude_pk).exists():
        raise MemberInvalid(
            _("%(number)s is already a member number.") % {"number": number},
            field="phone_number",
        )
    return number


@transaction.atomic
def member_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    phone_number: str,
    department: Department | None = None,
    user: AbstractBaseUser | None = None,
    status: str = Member.Status.ACTIVE,
    minutes_cap: int | None = None,
    action: str = AuditLogEntry.Action.CREATE,
) -> Member:
    member = Member.objects.create(
        name=name,
        phone_number=_member_number(phone_number),
        department=department,
        user=user,
        status=status,
        minutes_cap=minutes_cap,
    )
    audit_record(actor=actor, action=action, obj=member, before=None)
    return member


@transaction.atomic
def member_update(*, actor: AbstractBaseUser | None, member: Member, **fields: Any) -> Member:
    before = snapshot(member)
    if "phone_number" in fields:
        fields["phone_number"] = _member_number(fields["phone_number"], exclude_pk=member.pk)
    for name, value in fields.items():
        setattr(member, name, value)
    member.save()
    if snapshot(member) != before:
        audit_record(actor=actor, action=AuditLogEntry.Action.UPDATE, obj=member, before=before)
    return member


def member_remove(*, actor: AbstractBaseUser | None, member: Member) -> Member:
    """Removing keeps the member and its call history; it only stops new calls."""
    with transaction.atomic():
        before = snapshot(member)
        member.status = Member.Status.REMOVED
        member.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditLogEntry.Action.REMOVE, obj=member, before=before)
    return member


# Departments and business numbers


@transaction.atomic
def department_save(
    *, actor: AbstractBaseUser | None, department: Department | None = None, **fields: Any
) -> Department:
    before = snapshot(department) if department else None
    department = department or Department()
    for name, value in fields.items():
        setattr(department, name, value)
    if Department.objects.filter(name=department.name).exclude(pk=department.pk).exists():
        raise MemberInvalid(
            _("There is already a department called %(name)s.") % {"name": department.name},
            field="name",
        )
    department.save()
    action = AuditLogEntry.Action.UPDATE if before else AuditLogEntry.Action.CREATE
    if snapshot(department) != before:
        audit_record(actor=actor, action=action, obj=department, before=before)
    return department


@transaction.atomic
def business_number_save(
    *,
    actor: AbstractBaseUser | None,
    business_number: BusinessNumber | None = None,
    phone_number: str,
    label: str = "",
    is_default: bool = False,
) -> BusinessNumber:
    before = snapshot(business_number) if business_number else None
    number = business_number_validate(phone_number)
    business_number = business_number or BusinessNumber()
    if business_number_taken(number, exclude_pk=business_number.pk):
        raise MemberInvalid(
            _("%(number)s is already a business number.") % {"number": number},
            field="phone_number",
        )
    if is_default:
        # One default at a time (a constraint enforces it): the old default steps down, logged.
        for old in BusinessNumber.objects.filter(is_default=True).exclude(pk=business_number.pk):
            old_before = snapshot(old)
            old.is_default = False
            old.save(update_fields=["is_default", "updated_at"])
            audit_record(
                actor=actor, action=AuditLogEntry.Action.UPDATE, obj=old, before=old_before
            )
    business_number.phone_number = number
    business_number.label = label
    business_number.is_default = is_default
    business_number.save()
    action = AuditLogEntry.Action.UPDATE if before else AuditLogEntry.Action.CREATE
    if snapshot(business_number) != before:
        audit_record(actor=actor, action=action, obj=business_number, before=before)
    return business_number


# A business number as the operator registered it: digits, a leading + at most. It is sent to the
# operator exactly so (the seed's example: 01052680000), never rewritten into another form.
REGISTERED_NUMBER = re.compile(r"\+?\d{3,19}")


def business_number_validate(raw: str) -> str:
    """The business number as typed (outer spaces aside), once it is known to be a phone number
    written as the operator registers them; else MemberInvalid."""
    number = str(raw).strip()
    if not REGISTERED_NUMBER.fullmatch(number):
        raise MemberInvalid(
            _(
                "Type the business number exactly as the operator registered it, digits only "
                "(a leading + allowed), e.g. 01052680000."
            ),
            field="phone_number",
        )
    phone_number_normalize(number)
    return number


def business_number_taken(number: str, *, exclude_pk: int | None = None) -> bool:
    """Whether another business number is this one, written in another form or the same."""
    same = phone_number_normalize(number)
    others = BusinessNumber.objects.exclude(pk=exclude_pk).values_list("phone_number", flat=True)
    return any(same_number(other, same) for other in others)


def same_number(registered: str, e164: str) -> bool:
    """Whether a number in the operator's registered form (a business number) is ``e164``."""
    try:
        return normalize_number(registered, default_region=settings.PHONE_DEFAULT_REGION) == e164
    except InvalidPhoneNumber:
        return False


def sponsor_for(member: Member) -> str:
    """The business number a member's calls show (the department's, else the default), as the
    operator registered it."""
    if member.department_id and member.department.business_number_id:
        return member.department.business_number.phone_number
    default = BusinessNumber.objects.filter(is_default=True).first()
    if default:
        return default.phone_number
    return settings.OPERATOR_SPONSOR


# The minute pool


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
        audit_record(actor=actor, action=AuditLogEntry.Action.UPDATE, obj=pool, before=before)
    # A smaller allotment can cross thresholds without a call.
    _alerts_raise(pool_id=pool.pk)
    return pool


BILLING_UNITS = {
    MinutePool.BillingRule.PER_MINUTE: 60,
    MinutePool.BillingRule.PER_6_SECONDS: 6,
    MinutePool.BillingRule.PER_SECOND: 1,
}


def billed_seconds_for(seconds: int, *, rule: str) -> int:
    """Seconds billed for a call of `seconds` under `rule`; a call never connected bills 0."""
    unit = BILLING_UNITS[MinutePool.BillingRule(rule)]
    return math.ceil(seconds / unit) * unit if seconds > 0 else 0


def _used_seconds(pool: MinutePool, **scope: Any) -> int:
    total = UsageEntry.objects.filter(pool=pool, **scope).aggregate(s=Sum("billed_seconds"))["s"]
    return total or 0


@dataclass(frozen=True)
class LimitReached:
    """A used-up limit, said in the language active when it is turned into text: `message` is
    an English message (marked with gettext_noop), `values` its placeholders' values."""

    message: str
    values: dict[str, Any]

    def __str__(self) -> str:
        return gettext(self.message) % self.values


def call_limits_reached(*, member: Member) -> list[LimitReached]:
    """What is used up for this member's next call: the pool, the member's or department's cap.

    Each is said in the language active when it is turned into text: the call keeps them in
    English, and the caller reads them in theirs when a call is refused.
    """
    pool = pool_current()
    month = lazy(date_format, str)(pool.period_start, "YEAR_MONTH_FORMAT")
    reached = []
    if pool.billed_seconds_used >= pool.minutes_allotted * 60:
        reached.append(
            LimitReached(
                gettext_noop(
                    "The enterprise's minute pool for %(month)s is used up "
                    "(%(used)s of %(allotted)s minutes)."
                ),
                {
                    "month": month,
                    "used": minutes_display(pool.minutes_used),
                    "allotted": pool.minutes_allotted,
                },
            )
        )
    if member.minutes_cap is not None:
        used = _used_seconds(pool, member=member)
        if used >= member.minutes_cap * 60:
            reached.append(
                LimitReached(
                    gettext_noop(
                        "The member number %(number)s (%(name)s) has used %(used)s of its "
                        "%(cap)s minutes for %(month)s."
                    ),
                    {
                        "number": member.phone_number,
                        "name": member.name,
                        "used": minutes_display(seconds_to_minutes(used)),
                        "cap": member.minutes_cap,
                        "month": month,
                    },
                )
            )
    department = member.department
    if department is not None and department.minutes_cap is not None:
        used = _used_seconds(pool, department=department)
        if used >= department.minutes_cap * 60:
            reached.append(
                LimitReached(
                    gettext_noop(
                        "The %(department)s department has used %(used)s of its %(cap)s minutes "
                        "for %(month)s."
                    ),
                    {
                        "department": department.name,
                        "used": minutes_display(seconds_to_minutes(used)),
                        "cap": department.minutes_cap,
                        "month": month,
                    },
                )
            )
    return reached


def usage_record(*, call: Call) -> UsageEntry | None:
    """Debit an ended call from its period's pool, exactly once.

    Runs inside the transaction that ended the call, with the call's row locked, so a second
    Disconnected finds the entry; the entry's unique call is the last guard. The pool's balance and
    the daily and monthly rollups move by the same amounts in the same transaction, with `F()` and
    upserts, so concurrent calls never lose an update.
    """
    if UsageEntry.objects.filter(call=call).exists():
        return None
    day = timezone.localdate(call.created_at)
    pool = pool_for_day(day)
    seconds = call.duration_seconds or 0
    billed = billed_seconds_for(seconds, rule=pool.billing_rule)
    department_id = call.member.department_id
    entry = UsageEntry.objects.create(
        call=call,
        pool=pool,
        member_id=call.member_id,
        department_id=department_id,
        day=day,
        seconds=seconds,
        billed_seconds=billed,
    )
    MinutePool.objects.filter(pk=pool.pk).update(
        billed_seconds_used=F("billed_seconds_used") + billed, updated_at=timezone.now()
    )
    for table, period in ((UsageDaily, day), (UsageMonthly, day.replace(day=1))):
        _rollup_add(
            table=table,
            period=period,
            member_id=call.member_id,
            department_key=department_id or 0,
            seconds=seconds,
            billed_seconds=billed,
        )
    if billed:
        _alerts_raise(pool_id=pool.pk)
    return entry


def _rollup_add(
    *,
    table: type[UsageDaily | UsageMonthly],
    period: date,
    member_id: int,
    department_key: int,
    seconds: int,
    billed_seconds: int,
) -> None:
    # One statement, atomic in both SQLite and PostgreSQL: no read-modify-write to race.
    name = table._meta.db_table
    period_column = "day" if table is UsageDaily else "month"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {name} ({period_column}, member_id, department_key, calls, seconds,
                                billed_seconds)
            VALUES (%s, %s, %s, 1, %s, %s)
            ON CONFLICT ({period_column}, member_id, department_key) DO UPDATE SET
                calls = {name}.calls + 1,
                seconds = {name}.seconds + excluded.seconds,
                billed_seconds = {name}.billed_seconds + excluded.billed_seconds
            """,  # noqa: S608 - our own model's table and column; the values are parameters
            [period, member_id, department_key, seconds, billed_seconds],
        )


# Alerts


def _alerts_raise(*, pool_id: int) -> None:
    """Record each threshold the pool has crossed, once, and mail the admins after commit."""
    from members.tasks import pool_alert_send_task

    pool = MinutePool.objects.get(pk=pool_id)
    percent = pool.percent_used
    for threshold in sorted(pool.alert_thresholds):
        if percent < threshold:
            break
        alert, created = PoolAlert.objects.get_or_create(
            pool=pool, threshold=threshold, defaults={"percent_used": percent}
        )
        if created:
            transaction.on_commit(lambda alert_id=alert.pk: pool_alert_send_task.delay(alert_id))


def pool_alert_recipients() -> list[str]:
    admins = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted({*admins, *settings.POOL_ALERT_EMAILS})


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
