"""The calls and contacts operations of the REST API (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from calls import api

router = SimpleRouter()
router.register("contacts", api.ContactViewSet, basename="api-contact")

urlpatterns = [
    path("calls/", api.CallListCreateView.as_view(), name="api-call-list"),
    path("calls/<int:pk>/", api.CallDetailView.as_view(), name="api-call-detail"),
    path("calls/<int:pk>/hangup/", api.CallHangupView.as_view(), name="api-call-hangup"),
    *router.urls,
]
