"""URLs: each app's pages and API operations (by their URL modules' names: the project imports no
app), Django's login and admin, and the API's root, schema and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import APIRootView

# The API's browsable root lists its collections, by URL name.
api_root = APIRootView.as_view(
    api_root_dict={
        "contacts": "api-contact-list",
        "members": "api-member-list",
        "webhooks": "api-webhook-list",
    }
)

urlpatterns = [
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Single sign-on's redirect to the provider and its callback (accounts/sso.py).
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("api/v1/", api_root, name="api-root"),
    path("api/v1/", include("calls.api_urls")),
    path("api/v1/", include("members.api_urls")),
    path("api/v1/", include("members.reports.api_urls")),
    path("api/v1/", include("recordings.api_urls")),
    path("api/v1/", include("webhooks.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from ?script, not inline: the
    # Content-Security-Policy allows no inline script (nor the inline style the template drops).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("", include("accounts.urls")),
    path("", include("calls.urls")),
    path("", include("members.urls")),
    path("", include("recordings.urls")),
    path("", include("audit.urls")),
    path("", include("webhooks.urls")),
]

# Under /api/ a page that does not exist answers in the API's JSON error format.
handler400 = "clicktodial_portal.error_pages.bad_request"
handler403 = "clicktodial_portal.error_pages.permission_denied"
handler404 = "clicktodial_portal.error_pages.not_found"
handler500 = "clicktodial_portal.error_pages.server_error"
