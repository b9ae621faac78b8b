"""Reads for the admins' dashboard: the pool's pace, live calls, today's outcomes, failures, alerts.

Each panel is one query, so the page and its live part cost the same however many calls there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet, Sum
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from calls.selectors import (
    REASON_LABELS,
    Call,
    Status,
    call_error_message,
    call_status_label,
    callee_display,
    calls_failed_recent,
    calls_live,
    calls_outcome_counts,
    duration_display,
    reason_label,
)
from clicktodial_portal.dates import local_midnight
from members.models import MinutePool, PoolAlert, UsageDaily, seconds_to_minutes

LIVE_CALLS_SHOWN = 50
FAILURES_SHOWN = 10

# Today's calls are counted by outcome; each outcome has a key (below) and a label in words.
ANSWERED = "answered"
IN_PROGRESS = "in_progress"
# An ended call that was never answered is counted by the operator's reason (the reason is the
# key), told as an admin reads others' calls (calls.selectors.reason_label); in this order.
UNANSWERED_REASONS = (
    "CalleeBusy",
    "CalleeNoAnswer",
    "CalleeFailure",
    "CallerBusy",
    "CallerNoAnswer",
    "CallerFailure",
    "CallerAbandon",
    "HangUp",
    "Other",
    "Cancelled",
    "SettledByHand",
)
# Unanswered calls with no reason, or one the portal has no words for (the operator added it
# since): counted together, their codes are for the call log's technical detail.
ENDED_OTHERWISE = "ended_otherwise"
OUTCOME_ORDER = [
    ANSWERED,
    *UNANSWERED_REASONS,
    ENDED_OTHERWISE,
    Status.FAILED.value,
    Status.UNKNOWN.value,
    IN_PROGRESS,
]


def _outcome_label(key: str) -> str:
    """An outcome's key in words, in the active language."""
    if key == ANSWERED:
        return pgettext("a call's outcome", "Answered")
    if key == IN_PROGRESS:
        return pgettext("a call's outcome", "In progress")
    if key == "HangUp":
        # "Hung up" alone would not say that these calls, counted apart from the answered, were
        # hung up before the answer.
        return _("Hung up before the answer")
    if key in UNANSWERED_REASONS:
        return capfirst(reason_label(key, to_caller=False))
    if key in Call.FAILURE_STATUSES:
        return str(Status(key).label)
    return _("Ended unanswered, for another reason")


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
        return _("Calling %(name)s…") % {"name": call.member.name}
    return call_status_label(call)


def _since_label(*, connected: bool) -> str:
    if connected:
        # Translators: on the dashboard, before the time a live call connected: "connected
        # 10:42:07 (1 min 15 s)".
        return pgettext("live call, since", "connected")
    # Translators: on the dashboard, before the time a live call was placed: "placed 10:42:07".
    return pgettext("live call, since", "placed")


def live_calls(*, now: datetime, limit: int = LIVE_CALLS_SHOWN) -> list[LiveCall]:
    """Calls still in progress, newest first, with how long they have been in their state."""
    calls = calls_live(limit=limit)
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
                since_label=_since_label(connected=connected),
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
    """The calls placed on `day` (local time), counted by how they went, in plain words (in the
    active language)."""
    rows = calls_outcome_counts(start=local_midnight(day), end=_start_of_next(day))
    counts: dict[str, int] = {}
    kinds: dict[str, str] = {}

    def add(key: str, count: int, kind: str) -> None:
        if count:
            counts[key] = counts.get(key, 0) + count
            kinds[key] = kind

    for row in rows:
        status, reason, total = row["status"], row["reason"], row["total"]
        if status == Status.ENDED:
            # Connected at some point: answered, whichever side hung up and however.
            add(ANSWERED, row["answered"], "answered")
            key = reason if reason in UNANSWERED_REASONS else ENDED_OTHERWISE
            add(key, total - row["answered"], "unanswered")
        elif status == Status.FAILED:
            add(Status.FAILED.value, total, "failed")
        elif status == Status.UNKNOWN:
            add(Status.UNKNOWN.value, total, "unknown")
        else:
            add(IN_PROGRESS, total, "live")
    rank = {key: index for index, key in enumerate(OUTCOME_ORDER)}
    labels = {key: _outcome_label(key) for key in counts}
    ordered = sorted(counts, key=lambda key: (rank.get(key, len(rank)), labels[key]))
    return [OutcomeCount(labels[key], counts[key], kinds[key]) for key in ordered]


def _start_of_next(day: date) -> datetime:
    return local_midnight(date.fromordinal(day.toordinal() + 1))


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
    return [
        Failure(
            call=call,
            who=call.member.name,
            whom=callee_display(call),
            status_label=call.get_status_display(),
            reason=call_error_message(call) or _reason_without_message(call),
            at=call.ended_at or call.updated_at,
        )
        for call in calls_failed_recent(limit=limit)
    ]


def _reason_without_message(call: Call) -> str:
    if call.status == Status.UNKNOWN:
        return _("The operator stopped reporting on this call; whether it connected is not known.")
    if not call.error_code and call.reason in REASON_LABELS:
        return capfirst(reason_label(call.reason, to_caller=False))
    # A code the portal has no words for: the admin can look it up in the operator's list.
    if code := call.error_code or call.reason:
        return _("The operator gave no explanation (code %(code)s).") % {"code": code}
    return _("The operator gave no explanation (code none).")


def period_alerts(*, pool: MinutePool) -> QuerySet[PoolAlert]:
    """The thresholds the period's pool has crossed, lowest first."""
    return PoolAlert.objects.filter(pool=pool).order_by("threshold")
