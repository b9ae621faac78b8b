"""The audit log's page, where member management has always linked to it, and its export."""

from django.urls import path

from audit import views

urlpatterns = [
    path("members/audit/", views.audit_log, name="audit-log"),
    path("members/audit.csv", views.audit_log_csv, name="audit-log-csv"),
]
