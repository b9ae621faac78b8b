"""Finance report pages: the calls behind a figure of the usage report (with their CSV and XLSX
exports, numbers masked for finance) and the pool's history."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from calls.selectors import duration_display, reason_export_words, reason_label
from clicktodial_portal import exports
from clicktodial_portal.dates import date_range_display
from clicktodial_portal.error_pages import export_refused
from clicktodial_portal.masking import masks_numbers, number_display_for
from members.models import Department, Member, UsageEntry
from members.pool.selectors import pool_history
from members.reports import charts, selectors
from members.reports.selectors import UsageScope
from members.reports.views.usage import (
    CallsForm,
    finance_required,
    form_errors,
    scope_query,
    url_for,
)

CALLS_PER_PAGE = 50
# The pool history's chart shows the last two years; the table shows every period.
CHART_PERIODS = 24
# Rows are read from the database this many at a time while an export streams.
EXPORT_CHUNK = 2000


# The calls behind a figure


def _scope_heading(scope: UsageScope) -> str:
    """Whose calls the page lists: "Calls of Wang Fang", "Calls of the Sales department"."""
    if scope.member_id is not None:
        name = Member.objects.filter(pk=scope.member_id).values_list("name", flat=True).first()
        if name:
            return _("Calls of %(name)s") % {"name": name}
        return _("Calls of member #%(id)s") % {"id": scope.member_id}
    if scope.department_key is not None:
        if scope.department_key == 0:
            return _("Calls of members in no department")
        name = (
            Department.objects.filter(pk=scope.department_key)
            .values_list("name", flat=True)
            .first()
        )
        if name:
            return _("Calls of the %(name)s department") % {"name": name}
        return _("Calls of department #%(id)s") % {"id": scope.department_key}
    return _("Calls of all members")


def _scope_filename(scope: UsageScope, extension: str) -> str:
    if scope.member_id is not None:
        who = f"member-{scope.member_id}-"
    elif scope.department_key is not None:
        who = f"department-{scope.department_key}-"
    else:
        who = ""
    return f"calls-{who}{scope.date_from}-{scope.date_to}.{extension}"


@finance_required
def calls_behind(request: HttpRequest) -> HttpResponse:
    form = CallsForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/calls.html", {"errors": form_errors(form)}, status=400)
    masked = masks_numbers(request.user)
    scope = form.scope()
    # Newest first, as every list of calls; the exports stay in the ledger's order, oldest first.
    entries = selectors.usage_entries(scope=scope).reverse()
    total = selectors.usage_entries_total(entries)
    paginator = Paginator(entries, CALLS_PER_PAGE)
    # The total has counted the entries already: spare the paginator its own COUNT query.
    paginator.count = total.calls
    page = paginator.get_page(request.GET.get("page"))
    show_number = number_display_for(request.user)
    rows = [
        {
            "call_id": entry.call.pk,
            "when": timezone.localtime(entry.call.created_at),
            "member": entry.member.name,
            "department": entry.department.name if entry.department else "",
            "caller": show_number(entry.call.caller),
            "callee": show_number(entry.call.callee),
            "status": entry.call.get_status_display(),
            # In plain words on screen, told of everyone's calls ("the caller did not answer");
            # the exports keep the operator's code for programs.
            "reason": reason_label(entry.call.reason, to_caller=False),
            "over_limit": entry.call.over_limit,
            "talk": duration_display(entry.seconds),
            "billed_minutes": charts.number_text(entry.billed_minutes),
        }
        for entry in page
    ]
    query = scope_query(scope)
    return render(
        request,
        "reports/calls.html",
        {
            "heading": _scope_heading(scope),
            "range_text": date_range_display(scope.date_from, scope.date_to),
            "one_day": scope.date_from == scope.date_to,
            "masked": masked,
            "page": page,
            "rows": rows,
            "total": {
                "calls": total.calls,
                "talk": duration_display(total.seconds),
                "billed_minutes": charts.number_text(total.billed_minutes),
            },
            "page_query": urlencode(query),
            "csv_href": url_for("report-calls-csv", query),
            "xlsx_href": url_for("report-calls-xlsx", query),
            "report_href": url_for("report-usage", {"from": query["from"], "to": query["to"]}),
        },
    )


def call_export_header() -> list[str]:
    """The export's header in the reader's language. Beside the status and the reason in words
    sits each one's code, the same in every language: the columns programs read."""
    return [
        _("Call"),
        _("Date and time"),
        _("Member"),
        _("Department"),
        _("Caller"),
        _("Callee"),
        _("Status"),
        _("Status code"),
        _("Reason"),
        _("Reason code"),
        _("Seconds"),
        _("Billed minutes"),
        _("Over the limit"),
    ]


def _call_export_rows(request: HttpRequest, scope: UsageScope) -> Iterator[list[object]]:
    """One row per ledger entry, read from the database a chunk at a time."""
    show_number = number_display_for(request.user)
    entries = selectors.usage_entries(scope=scope)
    entry: UsageEntry
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        call = entry.call
        yield [
            call.pk,
            call.created_at,
            entry.member.name,
            entry.department.name if entry.department else "",
            show_number(call.caller),
            show_number(call.callee),
            call.get_status_display(),
            call.status,
            reason_export_words(call.reason, reason_label(call.reason, to_caller=False)),
            call.reason,
            entry.seconds,
            entry.billed_minutes,
            _("Yes") if call.over_limit else _("No"),
        ]


@finance_required
def calls_csv(request: HttpRequest) -> HttpResponse:
    form = CallsForm(request.GET)
    if not form.is_valid():
        return export_refused(request, form, "report-calls")
    scope = form.scope()
    return exports.csv_response(
        filename=_scope_filename(scope, "csv"),
        header=call_export_header(),
        rows=_call_export_rows(request, scope),
    )


@finance_required
def calls_xlsx(request: HttpRequest) -> HttpResponse:
    form = CallsForm(request.GET)
    if not form.is_valid():
        return export_refused(request, form, "report-calls")
    scope = form.scope()
    return exports.xlsx_response(
        filename=_scope_filename(scope, "xlsx"),
        sheet_title=_("Calls"),
        header=call_export_header(),
        rows=_call_export_rows(request, scope),
        column_widths=(8, 20, 20, 16, 18, 18, 12, 12, 30, 16, 10, 14, 14),
    )


# Pool history


@finance_required
def pool_history_page(request: HttpRequest) -> HttpResponse:
    pools = list(pool_history())
    rows = []
    for pool in pools:
        href = url_for(
            "report-usage",
            {
                "group_by": "member",
                "from": pool.period_start.isoformat(),
                "to": pool.period_end.isoformat(),
            },
        )
        rows.append(
            {
                "period": date_format(pool.period_start, "YEAR_MONTH_FORMAT"),
                "dates": date_range_display(pool.period_start, pool.period_end),
                "allotted": pool.minutes_allotted,
                "used": charts.number_text(pool.minutes_used),
                "remaining": charts.number_text(pool.minutes_remaining),
                "percent_used": pool.percent_used,
                "percent_text": charts.percent_text(pool.percent_used),
                "over": pool.minutes_remaining < 0,
                "alerts": [charts.percent_text(alert.threshold) for alert in pool.alerts.all()],
                "href": href,
            }
        )
    bars = [
        charts.Bar(
            label=row["period"],
            value=pool.percent_used,
            href=row["href"],
            description=(
                _("%(period)s: %(used)s of %(allotted)s minutes used (%(percent)s %%)")
                % {
                    "period": row["period"],
                    "used": row["used"],
                    "allotted": row["allotted"],
                    "percent": pool.percent_used,
                }
            ),
            # The month in the page's language ("Dec 2026", "2026年12月"), as the usage chart's.
            axis_label=date_format(pool.period_start, pgettext("chart axis", "M Y")),
        )
        for pool, row in reversed(list(zip(pools, rows, strict=True))[:CHART_PERIODS])
    ]
    chart = charts.bar_chart_svg(
        title=_("Share of the minute pool used, per billing period"),
        bars=bars,
        unit="%",
        columns=True,
        scale_at_least=Decimal(100),
    )
    return render(request, "reports/pools.html", {"rows": rows, "chart": chart if pools else None})
