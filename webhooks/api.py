"""REST API for webhook endpoints (admins): register one (its secret in that answer alone), list,
read, remove, send a test event. The services' refusals (`EndpointInvalid`) propagate to the
project's exception handler (clicktodial_portal/api_errors.py)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from webhooks import services
from webhooks.models import EventType, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=1000, help_text="An https:// URL with a public address.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "failing_since",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = ["id", "is_active", "failing_since", "disabled_reason", "created_at"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            gettext_lazy("A CRM's endpoint"),
            value={
                "url": "https://crm.example.com/hooks/click-to-dial",
                "events": ["call.status", "call.ended", "recording.ready"],
            },
            request_only=True,
        )
    ]
)
class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…), shown in this answer only: keep it.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_converter = "id"  # clicktodial_portal/bounds.py
    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAdminUser]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "create":
            return WebhookEndpointCreatedSerializer
        return WebhookEndpointSerializer

    def perform_create(self, serializer: WebhookEndpointSerializer) -> None:
        serializer.instance = services.endpoint_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.endpoint_delete(actor=self.request.user, endpoint=instance)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: int) -> Response:
        """Send the endpoint a `webhook.test` event, whatever it subscribes to."""
        services.test_event_send(endpoint=self.get_object())
        return Response(status=status.HTTP_202_ACCEPTED)
