"""The usage report's operation of the REST API (under /api/v1/)."""

from django.urls import path

from members.reports.api import UsageView

urlpatterns = [
    path("usage/", UsageView.as_view(), name="api-usage"),
]
