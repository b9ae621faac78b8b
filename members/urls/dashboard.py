"""The admins' dashboard."""

from django.urls import path

from members.reports.views import dashboard

urlpatterns = [
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/live/", dashboard.dashboard_live, name="dashboard-live"),
]
