"""The members and pool operations of the REST API (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from members import api

router = SimpleRouter()
router.register("members", api.MemberViewSet, basename="api-member")

urlpatterns = [
    path("pool/", api.PoolView.as_view(), name="api-pool"),
    *router.urls,
]
