"""Pages of the members app: member management, the minute pool, finance reports."""

from members.urls import members, pool, reports

urlpatterns = [*members.urlpatterns, *pool.urlpatterns, *reports.urlpatterns]
