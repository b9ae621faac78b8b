"""Reads for the admins' dashboard: the pool's pace, live calls, today's outcomes, failures, alerts.

Each panel is one query, so the page and its live part cost the same however many calls there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from calls.models import Call
from calls.selectors import call_status_label, callee_display, duration_display
from members.models import MinutePool, PoolAlert, UsageDaily, seconds_to_minutes

Status = Call.Status

# Still moving: the operator may yet report on these. `unknown` is not here although a person may
# still hang it up: nothing will report on it any more, so it is listed with the failures.
LIVE_STATUSES = (
    Status.QUEUED,
    Status.DIALING,
    Status.CALLING_CALLER,
    Status.CALLING_CALLEE,
    Status.CONNECTED,
)
FAILURE_STATUSES = (Status.FAILED, Status.UNKNOWN)
LIVE_CALLS_SHOWN = 50
FAILURES_SHOWN = 10

ANSWERED = "Answered"
IN_PROGRESS = "In progress"
# How an ended call that was never answered reads to an admin, by the operator's reason.
UNANSWERED_BY_REASON = {
    "CalleeBusy": "Busy",
    "CalleeNoAnswer": "No answer",
    "CalleeFailure": "Contact's phone unreachable",
    "CallerBusy": "Caller's line busy",
    "CallerNoAnswer": "Caller did not answer",
    "CallerFailure": "Caller's phone unreachable",
    "CallerAbandon": "Caller hung up before the answer",
    "HangUp": "Hung up before the answer",
    "Other": "Ended by the network",
    "Cancelled": "Cancelled before dialling",
}
OUTCOME_ORDER = [
    ANSWERED,
    *UNANSWERED_BY_REASON.values(),
    Status.FAILED.label,
    Status.UNKNOWN.label,
    IN_PROGRESS,
]


# The pool's pace


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    billed_seconds: int

    @property
    def billed_minutes(self) -> Decimal:
        return seconds_to_minutes(self.billed_seconds)


@dataclass(frozen=True)
class PoolPace:
    pool: MinutePool
    today: date
    days: list[DayUsage]  # every day of the period so far, quiet ones included

    @property
    def days_elapsed(self) -> int:
        """Days of the period so far, today included (it is under way, and already has calls)."""
        return (min(self.today, self.pool.period_end) - self.pool.period_start).days + 1

    @property
    def days_in_period(self) -> int:
        return (self.pool.period_end - self.pool.period_start).days + 1

    @property
    def projected_minutes(self) -> int:
        """The minutes used so far, extended at the same daily rate to the period's last day."""
        used = self.pool.minutes_used
        projected = used * self.days_in_period / self.days_elapsed
        return int(projected.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def projected_over(self) -> bool:
        return self.projected_minutes > self.pool.minutes_allotted


def pool_pace(*, pool: MinutePool, today: date) -> PoolPace:
    """Billed minutes per day of `pool`'s period up to `today`, from the daily rollup."""
    last = min(today, pool.period_end)
    rows = (
        UsageDaily.objects.filter(day__gte=pool.period_start, day__lte=last)
        .values("day")
        .annotate(calls=Sum("calls"), billed_seconds=Sum("billed_seconds"))
        .order_by()
    )
    found = {row["day"]: row for row in rows}
    days = []
    for ordinal in range(pool.period_start.toordinal(), last.toordinal() + 1):
        day = date.fromordinal(ordinal)
        row = found.get(day, {})
        days.append(DayUsage(day, row.get("calls") or 0, row.get("billed_seconds") or 0))
    return PoolPace(pool=pool, today=today, days=days)


# Calls


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class LiveCall:
    call: Call
    who: str
    whom: str
    status_label: str
    since_label: str
    since: datetime
    elapsed: str


def live_status_label(call: Call) -> str:
    """The status as an onlooker reads it: "Calling Wang Fang…", not the caller's "Calling you…"."""
    if call.status == Status.CALLING_CALLER:
        return f"Calling {call.member.name}…"
    return call_status_label(call)


def live_calls(*, now: datetime, limit: int = LIVE_CALLS_SHOWN) -> list[LiveCall]:
    """Calls still in progress, newest first, with how long they have been in their state."""
    calls = (
        Call.objects.filter(status__in=LIVE_STATUSES)
        .select_related("member")
        .order_by("-created_at", "-id")[:limit]
    )
    found = []
    for call in calls:
        connected = call.status == Status.CONNECTED and call.connected_at is not None
        since = call.connected_at if connected else call.created_at
        found.append(
            LiveCall(
                call=call,
                who=call.member.name,
                whom=callee_display(call),
                status_label=live_status_label(call),
                since_label="connected" if connected else "placed",
                since=since,
                elapsed=duration_display(max(0, int((now - since).total_seconds()))),
            )
        )
    return found


@dataclass(frozen=True)
class OutcomeCount:
    label: str
    count: int
    # For the page's colours: answered, unanswered, failed, unknown, live.
    kind: str


def outcomes_on(*, day: date) -> list[OutcomeCount]:
    """The calls placed on `day` (local time), counted by how they went, in plain words."""
    rows = (
        Call.objects.filter(created_at__gte=_start_of(day), created_at__lt=_start_of_next(day))
        .values("status", "reason")
        .annotate(total=Count("id"), answered=Count("id", filter=Q(connected_at__isnull=False)))
        .order_by()
    )
    counts: dict[str, int] = {}
    kinds: dict[str, str] = {}

    def add(label: str, count: int, kind: str) -> None:
        if count:
            counts[label] = counts.get(label, 0) + count
            kinds[label] = kind

    for row in rows:
        status, reason, total = row["status"], row["reason"], row["total"]
        if status == Status.ENDED:
            # Connected at some point: answered, whichever side hung up and however.
            add(ANSWERED, row["answered"], "answered")
            label = UNANSWERED_BY_REASON.get(reason, f"Ended ({reason or 'no reason given'})")
            add(label, total - row["answered"], "unanswered")
        elif status == Status.FAILED:
            add(Status.FAILED.label, total, "failed")
        elif status == Status.UNKNOWN:
            add(Status.UNKNOWN.label, total, "unknown")
        else:
            add(IN_PROGRESS, total, "live")
    rank = {label: index for index, label in enumerate(OUTCOME_ORDER)}
    ordered = sorted(counts, key=lambda label: (rank.get(label, len(rank)), label))
    return [OutcomeCount(label, counts[label], kinds[label]) for label in ordered]


def _start_of_next(day: date) -> datetime:
    return _start_of(date.fromordinal(day.toordinal() + 1))


@dataclass(frozen=True)
class Failure:
    call: Call
    who: str
    whom: str
    status_label: str
    reason: str
    at: datetime


def recent_failures(*, limit: int = FAILURES_SHOWN) -> list[Failure]:
    """The last failed calls and calls whose outcome is unknown, with the reason in plain words."""
    calls = (
        Call.objects.filter(status__in=FAILURE_STATUSES)
        .select_related("member")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        Failure(
            call=call,
            who=call.member.name,
            whom=callee_display(call),
            status_label=call.get_status_display(),
            reason=call.error_message or _reason_without_message(call),
            at=call.ended_at or call.updated_at,
        )
        for call in calls
    ]


def _reason_without_message(call: Call) -> str:
    if call.status == Status.UNKNOWN:
        return "The operator stopped reporting on this call; whether it connected is not known."
    return f"The operator gave no explanation (code {call.error_code or call.reason or 'none'})."


def period_alerts(*, pool: MinutePool) -> QuerySet[PoolAlert]:
    """The thresholds the period's pool has crossed, lowest first."""
    return PoolAlert.objects.filter(pool=pool).order_by("threshold")
