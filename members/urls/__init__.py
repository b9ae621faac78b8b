"""Pages of the members app: member management, the minute pool, finance reports, the dashboard."""

from members.urls import dashboard, members, pool, reports

urlpatterns = [
    *members.urlpatterns,
    *pool.urlpatterns,
    *reports.urlpatterns,
    *dashboard.urlpatterns,
]
