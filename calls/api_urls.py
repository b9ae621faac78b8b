"""The calls and contacts operations of the REST API (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from calls import api
from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)

# path() routes, so that each viewset's id is `<id:pk>` (its lookup_value_converter): a bounded
# integer, 404 past a bigint's range, and stated so in the schema.
router = SimpleRouter(use_regex_path=False)
router.register("contacts", api.ContactViewSet, basename="api-contact")

urlpatterns = [
    path("calls/", api.CallListCreateView.as_view(), name="api-call-list"),
    path("calls/<id:pk>/", api.CallDetailView.as_view(), name="api-call-detail"),
    path("calls/<id:pk>/hangup/", api.CallHangupView.as_view(), name="api-call-hangup"),
    *router.urls,
]
