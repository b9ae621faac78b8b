"""REST API for member numbers (admins) and the minute pool (the usage report's is in
members.reports.api).

The views let the services' refusals (`MemberInvalid`) propagate: the project's exception handler
answers them (clicktodial_portal/api_errors.py).
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clicktodial_portal import bounds
from members import services
from members.models import Member, MinutePool
from members.pool import services as pool_services


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            gettext_lazy("A member number"),
            value={"name": "Zhang Min", "phone_number": "+8613912345678", "status": "active"},
            request_only=True,
        )
    ]
)
class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "phone_number",
            "department",
            "user",
            "status",
            "minutes_cap",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is checked on the normalised number, in members.services.
        extra_kwargs = {"phone_number": {"validators": []}}


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("department", bounds.ID_PARAMETER_SCHEMA)])
)
class MemberViewSet(viewsets.ModelViewSet):
    lookup_value_converter = "id"  # clicktodial_portal/bounds.py
    queryset = Member.objects.select_related("user", "department")
    serializer_class = MemberSerializer
    permission_classes = [permissions.IsAdminUser]
    filterset_fields = ["status", "department"]

    def perform_create(self, serializer: MemberSerializer) -> None:
        serializer.instance = services.member_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: MemberSerializer) -> None:
        serializer.instance = services.member_update(
            actor=self.request.user, member=serializer.instance, **serializer.validated_data
        )

    @extend_schema(responses={200: MemberSerializer})
    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        """Removes the member from calling; the member and its history are kept."""
        member = services.member_remove(actor=request.user, member=self.get_object())
        return Response(MemberSerializer(member).data, status=status.HTTP_200_OK)


# PostgreSQL's integer range, on every database (SQLite's is wider, and a larger allotment did not
# fit the decimals the pool is answered with).
MINUTES_MAX = 2_147_483_647


class PoolSerializer(serializers.ModelSerializer):
    minutes_allotted = serializers.IntegerField(min_value=0, max_value=MINUTES_MAX)
    minutes_used = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    minutes_remaining = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    # Calls may go on past the pool's end (when_exhausted), far past a small allotment.
    percent_used = serializers.DecimalField(max_digits=14, decimal_places=1, read_only=True)
    alert_thresholds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=1000), required=False
    )

    class Meta:
        model = MinutePool
        fields = [
            "period_start",
            "period_end",
            "minutes_allotted",
            "minutes_used",
            "minutes_remaining",
            "percent_used",
            "billing_rule",
            "when_exhausted",
            "alert_thresholds",
        ]
        read_only_fields = ["period_start", "period_end"]


class IsAdminToChange(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in permissions.SAFE_METHODS or request.user.is_staff


class PoolView(APIView):
    """The current billing period's shared pool of minutes."""

    permission_classes = [permissions.IsAuthenticated, IsAdminToChange]

    @extend_schema(responses=PoolSerializer)
    def get(self, request: Request) -> Response:
        return Response(PoolSerializer(pool_services.pool_current()).data)

    @extend_schema(request=PoolSerializer, responses=PoolSerializer)
    def patch(self, request: Request) -> Response:
        pool = pool_services.pool_current()
        data = PoolSerializer(pool, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        pool = pool_services.pool_update(actor=request.user, pool=pool, **data.validated_data)
        return Response(PoolSerializer(pool).data)
