"""The admins' dashboard, and its live part that the page polls to stay current."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clicktodial_portal.dates import date_range_display
from members.models import minutes_display
from members.pool.services import pool_current
from members.reports import charts
from members.reports.dashboard import (
    PoolPace,
    live_calls,
    outcomes_on,
    period_alerts,
    pool_pace,
    recent_failures,
)

# How often the live part is fetched. The page promises a change within 2 s: a poll every second
# leaves the other second for the request itself.
LIVE_POLL_SECONDS = 1


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only: others get 403, anonymous visitors the login page."""

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied(_("The dashboard is for admins."))
        return view(request, *args, **kwargs)

    return guarded


def _trend_chart(pace: PoolPace) -> SafeString:
    bars = []
    for usage in pace.days:
        label = date_format(usage.day, "MONTH_DAY_FORMAT")
        minutes = minutes_display(usage.billed_minutes)
        href = ""
        if usage.calls:
            query = urlencode({"from": usage.day.isoformat(), "to": usage.day.isoformat()})
            href = f"{reverse('report-calls')}?{query}"
        bars.append(
            charts.Bar(
                label=label,
                value=usage.billed_minutes,
                href=href,
                description=ngettext(
                    "%(day)s: %(minutes)s billed minutes, %(calls)s call",
                    "%(day)s: %(minutes)s billed minutes, %(calls)s calls",
                    usage.calls,
                )
                % {"day": label, "minutes": minutes, "calls": usage.calls},
                axis_label=f"{usage.day:%-d}",
            )
        )
    days = date_range_display(pace.days[0].day, pace.days[-1].day)
    # Translators: the dashboard chart title; the range is a date range such as "1 to 27
    # November 2026" (written with an en dash).
    title = _("Billed minutes per day, %(range)s") % {"range": days}
    return charts.bar_chart_svg(title=title, bars=bars, unit=charts.minutes_unit(), columns=True)


def _live_context() -> dict[str, Any]:
    now = timezone.now()
    outcomes = outcomes_on(day=timezone.localdate(now))
    return {
        "live_calls": live_calls(now=now),
        "outcomes": outcomes,
        "calls_today": sum(outcome.count for outcome in outcomes),
        "poll_seconds": LIVE_POLL_SECONDS,
    }


@staff_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    pool = pool_current()
    pace = pool_pace(pool=pool, today=timezone.localdate())
    context = {
        "pool": pool,
        "pace": pace,
        "trend_chart": _trend_chart(pace),
        "failures": recent_failures(),
        "alerts": period_alerts(pool=pool),
        **_live_context(),
    }
    return render(request, "dashboard/dashboard.html", context)


@staff_required
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """Live calls and today's counts, polled by the dashboard and morphed into it; the sentence
    that sums them up comes out of band, for the page's one status region."""
    return render(request, "dashboard/_live.html", {**_live_context(), "oob": True})
