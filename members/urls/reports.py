"""reports pages: usage, the calls behind a figure, the pool's history, and their exports."""

from django.urls import path

from members.views import reports

urlpatterns = [
    path("reports/usage/", reports.usage_report_page, name="report-usage"),
    path("reports/usage.csv", reports.usage_csv, name="report-usage-csv"),
    path("reports/usage.xlsx", reports.usage_xlsx, name="report-usage-xlsx"),
    path("reports/calls/", reports.calls_behind, name="report-calls"),
    path("reports/calls.csv", reports.calls_csv, name="report-calls-csv"),
    path("reports/calls.xlsx", reports.calls_xlsx, name="report-calls-xlsx"),
    path("reports/pools/", reports.pool_history_page, name="report-pools"),
]
