"""The webhooks operations of the REST API (under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)
from webhooks import api

router = SimpleRouter(use_regex_path=False)
router.register("webhooks", api.WebhookEndpointViewSet, basename="api-webhook")

urlpatterns = router.urls
