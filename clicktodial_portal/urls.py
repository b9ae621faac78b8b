"""URLs: the pages, the REST API (with its schema and docs), and the operator's notify endpoint."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.views import language_set
from calls import api as calls_api
from calls.notify import CamaraEventView, StatusNotifyView
from members import api as members_api
from recordings import api as recordings_api

router = DefaultRouter()
router.register("contacts", calls_api.ContactViewSet, basename="api-contact")
router.register("members", members_api.MemberViewSet, basename="api-member")

api_v1 = [
    path("calls/", calls_api.CallListCreateView.as_view(), name="api-call-list"),
    path("calls/<int:pk>/", calls_api.CallDetailView.as_view(), name="api-call-detail"),
    path("calls/<int:pk>/hangup/", calls_api.CallHangupView.as_view(), name="api-call-hangup"),
    path(
        "calls/<int:pk>/recording/",
        recordings_api.CallRecordingAudioView.as_view(),
        name="api-call-recording",
    ),
    path("pool/", members_api.PoolView.as_view(), name="api-pool"),
    path("usage/", members_api.UsageView.as_view(), name="api-usage"),
    *router.urls,
]

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/language/", language_set, name="language-set"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # The operator's callback, at the path the seed gives.
    path(
        "clicktodial/v1/clicktodialstatusnotify/<str:callidentifier>",
        StatusNotifyView.as_view(),
        name="operator-status-notify",
    ),
    # CAMARA's events (OPERATOR_API=camara): the sink the portal names in each begin request.
    path("clicktodial/camara/events", CamaraEventView.as_view(), name="operator-camara-events"),
    path("", include("calls.urls")),
    path("", include("members.urls")),
    path("", include("recordings.urls")),
]

# Under /api/ a page that does not exist answers in the API's JSON error format.
handler400 = "clicktodial_portal.error_pages.bad_request"
handler403 = "clicktodial_portal.error_pages.permission_denied"
handler404 = "clicktodial_portal.error_pages.not_found"
handler500 = "clicktodial_portal.error_pages.server_error"
