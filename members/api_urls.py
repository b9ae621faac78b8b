"""The members and pool operations of the REST API (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)
from members import api

# path() routes, so that each viewset's id is `<id:pk>` (its lookup_value_converter): a bounded
# integer, 404 past a bigint's range, and stated so in the schema.
router = SimpleRouter(use_regex_path=False)
router.register("members", api.MemberViewSet, basename="api-member")

urlpatterns = [
    path("pool/", api.PoolView.as_view(), name="api-pool"),
    *router.urls,
]
