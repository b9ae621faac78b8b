"""Departments, member numbers, business numbers, the minute pool and its ledger."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class BusinessNumber(models.Model):
    """A number the operator shows both parties (the seed's `sponsor`)."""

    phone_number = models.CharField(max_length=20, unique=True)  # E.164
    label = models.CharField(max_length=200, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business number")
        verbose_name_plural = _("business numbers")
        ordering = ["-is_default", "phone_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="members_businessnumber_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.phone_number})" if self.label else self.phone_number


class Department(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # Calls from this department show this number; else the default business number.
    business_number = models.ForeignKey(
        BusinessNumber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="departments",
    )
    # Optional ceiling on the department's billed minutes per billing period.
    minutes_cap = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """One of the enterprise's phone numbers that the operator may ring as a caller."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REMOVED = "removed", _("Removed")

    name = models.CharField(max_length=200)
    # E.164, normalised by members.services before it is saved.
    phone_number = models.CharField(max_length=20, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Optional ceiling on the member's billed minutes per billing period.
    minutes_cap = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone_number})"


def seconds_to_minutes(seconds: int) -> Decimal:
    """Billed seconds as minutes, to the hundredth (exact for the per-minute and 6 s rules)."""
    return (Decimal(seconds) / 60).quantize(Decimal("0.01"))


def minutes_display(minutes: Decimal | int) -> str:
    """100.00 → "100", 1.10 → "1.1": minutes as people write them."""
    return f"{Decimal(minutes).normalize():f}"


class MinutePool(models.Model):
    """The minutes all members share in one billing period (a calendar month)."""

    class BillingRule(models.TextChoices):
        PER_MINUTE = "per_minute", _("Per started minute (61 s bills 2 min)")
        PER_6_SECONDS = "per_6_seconds", _("Per started 6 seconds")
        PER_SECOND = "per_second", _("Per second")

    class WhenExhausted(models.TextChoices):
        REFUSE = "refuse", _("Refuse new calls")
        ALLOW_AND_FLAG = "allow_and_flag", _("Allow calls and flag them")

    period_start = models.DateField(unique=True)
    period_end = models.DateField()  # the period's last day, inclusive
    minutes_allotted = models.PositiveIntegerField()
    # The balance, kept in billed seconds so that every rule adds up exactly.
    billed_seconds_used = models.PositiveBigIntegerField(default=0)
    billing_rule = models.CharField(
        max_length=20, choices=BillingRule.choices, default=BillingRule.PER_MINUTE
    )
    when_exhausted = models.CharField(
        max_length=20, choices=WhenExhausted.choices, default=WhenExhausted.REFUSE
    )
    # Percentages of the allotment at which the admins are alerted, once each per period.
    alert_thresholds = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("minute pool")
        verbose_name_plural = _("minute pools")
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="members_minutepool_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        used = minutes_display(self.minutes_used)
        return f"{self.period_start:%Y-%m}: {used} of {self.minutes_allotted} min"

    @property
    def minutes_used(self) -> Decimal:
        return seconds_to_minutes(self.billed_seconds_used)

    @property
    def minutes_remaining(self) -> Decimal:
        return Decimal(self.minutes_allotted) - self.minutes_used

    @property
    def percent_used(self) -> Decimal:
        if not self.minutes_allotted:
            return Decimal(100)
        return (self.minutes_used * 100 / self.minutes_allotted).quantize(Decimal("0.1"))


class UsageEntry(models.Model):
    """The ledger: one entry per ended call, debited from its period's pool exactly once."""

    call = models.OneToOneField("calls.Call", on_delete=models.PROTECT, related_name="usage")
    pool = models.ForeignKey(MinutePool, on_delete=models.PROTECT, related_name="entries")
    # Who and where as they were when the call was made: members change departments.
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="usage_entries")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="usage_entries"
    )
    day = models.DateField()  # the local day the call was placed
    seconds = models.PositiveIntegerField()
    billed_seconds = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("usage entry")
        verbose_name_plural = _("usage entries")
        ordering = ["-day", "-id"]
        indexes = [
            # Member and department caps sum the period's entries before each call.
            models.Index(fields=["pool", "member"], name="members_usage_pool_member_idx"),
            models.Index(fields=["pool", "department"], name="members_usage_pool_dept_idx"),
        ]
        permissions = [("view_usage_report", "Can see usage reports and export them")]

    def __str__(self) -> str:
        return f"call {self.call_id}: {self.billed_seconds} s billed"

    @property
    def billed_minutes(self) -> Decimal:
        return seconds_to_minutes(self.billed_seconds)


class UsageDaily(models.Model):
    """Rollup of the ledger per day, member and department, kept exact in the same transaction.

    Reports over years of calls read these rows instead of the calls. `department_key` is the
    department's id, or 0 for none, so that the rollup key has no NULL in it (NULLs never conflict
    in a unique index, which would split a day's row in two).
    """

    day = models.DateField()
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    department_key = models.PositiveBigIntegerField()
    calls = models.PositiveIntegerField(default=0)
    seconds = models.PositiveBigIntegerField(default=0)
    billed_seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "member", "department_key"], name="members_usagedaily_unique_key"
            ),
        ]
        indexes = [
            # Department reports over a date range.
            models.Index(fields=["department_key", "day"], name="members_usagedaily_dept_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} member {self.member_id}: {self.calls} calls"


class UsageMonthly(models.Model):
    """The same rollup per month: a year's report reads twelve rows per member, not 365."""

    month = models.DateField()  # the month's first day
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    department_key = models.PositiveBigIntegerField()
    calls = models.PositiveIntegerField(default=0)
    seconds = models.PositiveBigIntegerField(default=0)
    billed_seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly usage")
        verbose_name_plural = _("monthly usage")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "member", "department_key"],
                name="members_usagemonthly_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} member {self.member_id}: {self.calls} calls"


class PoolAlert(models.Model):
    """A usage threshold crossed in a period; the unique key makes each alert go out once."""

    pool = models.ForeignKey(MinutePool, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.PositiveSmallIntegerField()
    percent_used = models.DecimalField(max_digits=6, decimal_places=1)
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pool alert")
        verbose_name_plural = _("pool alerts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "threshold"], name="members_poolalert_once_per_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool.period_start:%Y-%m} crossed {self.threshold} %"
