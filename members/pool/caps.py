"""What is used up before a call: the pool, the member's cap, the department's cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

from members.models import Member, MinutePool, UsageEntry, minutes_display, seconds_to_minutes
from members.pool.services import pool_current


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
