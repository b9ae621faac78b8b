"""Finance report pages: usage by member, department, day or month with its chart and its CSV and
XLSX exports, and what the report pages share (finance_required, the date range, links). The
calls behind each figure and the pool's history: members.reports.views.calls.

For finance (`members.view_usage_report`) and admins. Finance see phone numbers masked
(clicktodial_portal.masking); admins see them whole.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from calls.selectors import duration_display
from clicktodial_portal import bounds, exports
from clicktodial_portal.dates import date_range_display
from clicktodial_portal.error_pages import export_refused
from members import roles
from members.reports import charts, selectors
from members.reports.selectors import UsageReport, UsageScope

GROUP_LABELS = {
    "member": gettext_lazy("Member"),
    "department": gettext_lazy("Department"),
    "day": gettext_lazy("Day"),
    "month": gettext_lazy("Month"),
}
# The usage exports' second column: each row's key, the same in every language (the API's
# `key`), beside its label in words.
EXPORT_KEY_HEADERS = {
    "member": gettext_lazy("Member id"),
    "department": gettext_lazy("Department id"),
    "day": gettext_lazy("Date (YYYY-MM-DD)"),
    "month": gettext_lazy("Month (YYYY-MM)"),
}
EXPORT_SHEET_TITLES = {
    "member": gettext_lazy("Usage by member"),
    "department": gettext_lazy("Usage by department"),
    "day": gettext_lazy("Usage by day"),
    "month": gettext_lazy("Usage by month"),
}


def finance_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Finance and admins only: others get 403, anonymous visitors the login page."""

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not roles.can_see_usage(request.user):
            raise PermissionDenied(_("Usage reports are for finance and admins."))
        return view(request, *args, **kwargs)

    return guarded


# Filters


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _date_field(label: str) -> forms.DateField:
    return bounds.BoundedDateField(
        label=label,
        required=False,
        error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")},
    )


class RangeForm(forms.Form):
    """`from` and `to` (both days included), as in the usage API; default: this month."""

    def __init__(self, data: object) -> None:
        super().__init__(data)
        # "from" is a Python keyword, so these cannot be declared as class attributes.
        self.fields["from"] = _date_field(pgettext("first day of a date range", "From"))
        self.fields["to"] = _date_field(pgettext("last day of a date range", "To"))

    def clean(self) -> dict:
        data = super().clean()
        today = timezone.localdate()
        data["from"] = data.get("from") or today.replace(day=1)
        data["to"] = data.get("to") or _month_end(today)
        if not self.errors and data["from"] > data["to"]:
            raise forms.ValidationError(_("The first day must not be after the last day."))
        return data


class UsageForm(RangeForm):
    group_by = forms.ChoiceField(choices=list(GROUP_LABELS.items()), required=False)

    def clean(self) -> dict:
        data = super().clean()
        data["group_by"] = data.get("group_by") or "member"
        return data

    def report(self) -> UsageReport:
        data = self.cleaned_data
        return selectors.usage_report(
            group_by=data["group_by"], date_from=data["from"], date_to=data["to"]
        )


class CallsForm(RangeForm):
    member = bounds.BoundedIdField(required=False, min_value=1)
    # A department's id, or 0 for calls from members in no department (the rollup's key).
    department = bounds.BoundedIdField(required=False, min_value=0)

    def scope(self) -> UsageScope:
        data = self.cleaned_data
        return UsageScope(data["from"], data["to"], data["member"], data["department"])


def form_errors(form: forms.Form) -> list[str]:
    return [f"{error}" for errors in form.errors.values() for error in errors]


def scope_query(scope: UsageScope) -> dict[str, str]:
    query = {"from": scope.date_from.isoformat(), "to": scope.date_to.isoformat()}
    if scope.member_id is not None:
        query["member"] = str(scope.member_id)
    if scope.department_key is not None:
        query["department"] = str(scope.department_key)
    return query


def url_for(name: str, query: dict[str, str]) -> str:
    return f"{reverse(name)}?{urlencode(query)}"


@dataclass(frozen=True)
class Preset:
    label: str
    date_from: date
    date_to: date


def _presets(today: date) -> list[Preset]:
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [
        Preset(_("This month"), today.replace(day=1), _month_end(today)),
        Preset(_("Last month"), last_month_end.replace(day=1), last_month_end),
        Preset(_("This year"), date(today.year, 1, 1), date(today.year, 12, 31)),
    ]


# Usage report


# Beyond a year of days, the chart shows only the days with calls rather than thin slivers.
MAX_CHART_DAYS = 366


def _time_axis(report: UsageReport) -> list[tuple[str, str, str]] | None:
    """Every day or month of the report's range as (row key, label, axis label), so that the
    chart's time runs evenly and quiet days show as gaps; None for members and departments."""
    first, last = report.date_from, report.date_to
    if report.group_by == "day" and (last - first).days < MAX_CHART_DAYS:
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        # Translators: a date format (Django's `date` letters) for a day under a chart's bar.
        day_format = pgettext("chart axis", "M j")
        return [(day.isoformat(), day.isoformat(), date_format(day, day_format)) for day in days]
    if report.group_by == "month":
        months = []
        month = first.replace(day=1)
        while month <= last:
            # The year under the first column and each January; the other months by name.
            # Translators: date formats (Django's `date` letters) for a month under a chart's bar,
            # with its year, then alone.
            short_format = (
                pgettext("chart axis", "M Y")
                if not months or month.month == 1
                else pgettext("chart axis", "M")
            )
            short = date_format(month, short_format)
            months.append((f"{month:%Y-%m}", date_format(month, "YEAR_MONTH_FORMAT"), short))
            month = _month_end(month) + timedelta(days=1)
        return months
    return None


def _chart_title(group_by: str, range_text: str) -> str:
    titles = {
        "member": _("Billed minutes by member, %(range)s"),
        "department": _("Billed minutes by department, %(range)s"),
        "day": _("Billed minutes by day, %(range)s"),
        "month": _("Billed minutes by month, %(range)s"),
    }
    return titles[group_by] % {"range": range_text}


def _usage_chart(report: UsageReport, rows: list[dict]) -> SafeString:
    bars = {
        str(row.key): charts.Bar(
            label=row.label,
            value=row.billed_minutes,
            href=view_row["href"],
            description=ngettext(
                "%(label)s: %(minutes)s billed minutes, %(calls)s call",
                "%(label)s: %(minutes)s billed minutes, %(calls)s calls",
                row.calls,
            )
            % {"label": row.label, "minutes": view_row["billed_minutes"], "calls": row.calls},
        )
        for row, view_row in zip(report.rows, rows, strict=True)
    }
    title = _chart_title(report.group_by, date_range_display(report.date_from, report.date_to))
    unit = charts.minutes_unit()
    axis = _time_axis(report)
    if axis is None:
        return charts.bar_chart_svg(title=title, bars=list(bars.values()), unit=unit)
    columns = [
        replace(bars[key], axis_label=short)
        if key in bars
        else charts.Bar(
            label=label,
            value=Decimal(0),
            description=_("%(label)s: no calls") % {"label": label},
            axis_label=short,
        )
        for key, label, short in axis
    ]
    return charts.bar_chart_svg(title=title, bars=columns, unit=unit, columns=True)


@finance_required
def usage_report_page(request: HttpRequest) -> HttpResponse:
    form = UsageForm(request.GET)
    today = timezone.localdate()
    context: dict[str, object] = {
        "form": form,
        "group_labels": GROUP_LABELS.items(),
        "group_by": request.GET.get("group_by") or "member",
    }
    if not form.is_valid():
        context["errors"] = form_errors(form)
        return render(request, "reports/usage.html", context, status=400)
    report = form.report()
    query = {
        "group_by": report.group_by,
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
    }
    rows = []
    for row in report.rows:
        href = url_for(
            "report-calls", scope_query(selectors.usage_row_scope(report=report, row=row))
        )
        rows.append(
            {
                "label": row.label,
                "calls": row.calls,
                "talk": duration_display(row.seconds),
                "billed_minutes": charts.number_text(row.billed_minutes),
                "billed": row.billed_minutes,
                "href": href,
            }
        )
    range_query = {"from": query["from"], "to": query["to"]}
    context.update(_call_figures(report))
    context.update(
        {
            "report": report,
            "group_by": report.group_by,
            "group_label": GROUP_LABELS[report.group_by],
            "caption": _caption(
                report.group_by, date_range_display(report.date_from, report.date_to)
            ),
            "range_text": date_range_display(report.date_from, report.date_to),
            "rows": rows,
            "total": {
                "calls": report.total.calls,
                "talk": duration_display(report.total.seconds),
                "billed_minutes": charts.number_text(report.total.billed_minutes),
                "billed": report.total.billed_minutes,
                "href": url_for("report-calls", range_query),
            },
            "chart": _usage_chart(report, rows),
            "presets": [
                {
                    "label": preset.label,
                    "href": "?"
                    + urlencode(
                        {
                            "group_by": report.group_by,
                            "from": preset.date_from.isoformat(),
                            "to": preset.date_to.isoformat(),
                        }
                    ),
                    "active": (preset.date_from, preset.date_to)
                    == (report.date_from, report.date_to),
                }
                for preset in _presets(today)
            ],
            "csv_href": url_for("report-usage-csv", query),
            "xlsx_href": url_for("report-usage-xlsx", query),
            "calls_csv_href": url_for("report-calls-csv", range_query),
            "calls_xlsx_href": url_for("report-calls-xlsx", range_query),
        }
    )
    return render(request, "reports/usage.html", context)


def _change_text(change: Decimal | None, days: int) -> str:
    if change is None:
        return ngettext(
            "nothing in the previous %(days)s day to compare with",
            "nothing in the previous %(days)s days to compare with",
            days,
        ) % {"days": days}
    # Translators: a change against the period before, e.g. "+12% vs the previous 30 days".
    return ngettext(
        "%(change)s%% vs the previous %(days)s day",
        "%(change)s%% vs the previous %(days)s days",
        days,
    ) % {"change": f"{change:+}" if change else "±0", "days": days}


def _call_figures(report: UsageReport) -> dict[str, object]:
    """Answer rate, average talk time, calls by hour and the change from the period before.

    Answered calls are the calls in the ledger (the report's and the exports' Calls): a call is
    debited once it has connected and ended."""
    outcomes = selectors.usage_call_outcomes(date_from=report.date_from, date_to=report.date_to)
    comparison = selectors.usage_period_comparison(report=report)
    average = selectors.average_talk_seconds(report.total)
    busiest = max((row.placed for row in outcomes.hours), default=0)
    return {
        "outcomes": outcomes,
        "answer_rate": outcomes.answer_rate,
        "average_talk": duration_display(average) if average is not None else "",
        "hours": [
            {
                "label": f"{row.hour:02d}:00\u2013{(row.hour + 1) % 24:02d}:00",
                "placed": row.placed,
                "answered": row.answered,
                "rate": row.answer_rate,
                "busiest": row.placed == busiest,
            }
            for row in outcomes.hours
        ],
        "time_zone": timezone.get_current_timezone_name(),
        "comparison": comparison,
        "previous_range": date_range_display(comparison.previous_from, comparison.previous_to),
        "billed_change_text": _change_text(comparison.billed_change, comparison.days),
        "calls_change_text": _change_text(comparison.calls_change, comparison.days),
        "billed_change_trend": _trend(comparison.billed_change),
        "calls_change_trend": _trend(comparison.calls_change),
    }


def _trend(change: Decimal | None) -> str:
    if change is None or change == 0:
        return "flat"
    return "up" if change > 0 else "down"


def _caption(group_by: str, range_text: str) -> str:
    captions = {
        "member": _("By member, %(range)s. Click a figure to see the calls behind it."),
        "department": _("By department, %(range)s. Click a figure to see the calls behind it."),
        "day": _("By day, %(range)s. Click a figure to see the calls behind it."),
        "month": _("By month, %(range)s. Click a figure to see the calls behind it."),
    }
    return captions[group_by] % {"range": range_text}


def _usage_export_table(report: UsageReport) -> tuple[list[str], list[list[object]], list[object]]:
    # In the reader's language, as the page; the key column is for programs.
    header = [
        str(GROUP_LABELS[report.group_by]),
        str(EXPORT_KEY_HEADERS[report.group_by]),
        _("Calls"),
        _("Talk time (seconds)"),
        _("Billed minutes"),
    ]
    rows: list[list[object]] = [
        [row.label, row.key, row.calls, row.seconds, row.billed_minutes] for row in report.rows
    ]
    total = report.total
    return header, rows, [_("Total"), "", total.calls, total.seconds, total.billed_minutes]


def _usage_filename(report: UsageReport, extension: str) -> str:
    return f"usage-{report.group_by}-{report.date_from}-{report.date_to}.{extension}"


@finance_required
def usage_csv(request: HttpRequest) -> HttpResponse:
    form = UsageForm(request.GET)
    if not form.is_valid():
        return export_refused(request, form, "report-usage")
    report = form.report()
    header, rows, total = _usage_export_table(report)
    return exports.csv_response(
        filename=_usage_filename(report, "csv"), header=header, rows=iter([*rows, total])
    )


@finance_required
def usage_xlsx(request: HttpRequest) -> HttpResponse:
    form = UsageForm(request.GET)
    if not form.is_valid():
        return export_refused(request, form, "report-usage")
    report = form.report()
    header, rows, total = _usage_export_table(report)
    return exports.xlsx_response(
        filename=_usage_filename(report, "xlsx"),
        sheet_title=str(EXPORT_SHEET_TITLES[report.group_by]),
        header=header,
        rows=iter(rows),
        total=total,
        column_widths=(28, 18, 10, 20, 16),
    )
