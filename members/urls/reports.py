"""reports pages: usage, the calls behind a figure, the pool's history, and their exports."""

from django.urls import path

from members.reports.views import calls, usage

urlpatterns = [
    path("reports/usage/", usage.usage_report_page, name="report-usage"),
    path("reports/usage.csv", usage.usage_csv, name="report-usage-csv"),
    path("reports/usage.xlsx", usage.usage_xlsx, name="report-usage-xlsx"),
    path("reports/calls/", calls.calls_behind, name="report-calls"),
    path("reports/calls.csv", calls.calls_csv, name="report-calls-csv"),
    path("reports/calls.xlsx", calls.calls_xlsx, name="report-calls-xlsx"),
    path("reports/pools/", calls.pool_history_page, name="report-pools"),
]
