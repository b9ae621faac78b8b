"""REST API for member numbers (admins), the minute pool, and usage reports (finance, admins)."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members import selectors, services
from members.models import Member, MinutePool


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


def _invalid(exc: services.MemberInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError({exc.field: [exc.message]})


class MemberViewSet(viewsets.ModelViewSet):
    queryset = Member.objects.select_related("user", "department")
    serializer_class = MemberSerializer
    permission_classes = [permissions.IsAdminUser]
    filterset_fields = ["status", "department"]

    def perform_create(self, serializer: MemberSerializer) -> None:
        try:
            serializer.instance = services.member_create(
                actor=self.request.user, **serializer.validated_data
            )
        except services.MemberInvalid as exc:
            raise _invalid(exc) from exc

    def perform_update(self, serializer: MemberSerializer) -> None:
        try:
            serializer.instance = services.member_update(
                actor=self.request.user, member=serializer.instance, **serializer.validated_data
            )
        except services.MemberInvalid as exc:
            raise _invalid(exc) from exc

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
        return Response(PoolSerializer(services.pool_current()).data)

    @extend_schema(request=PoolSerializer, responses=PoolSerializer)
    def patch(self, request: Request) -> Response:
        pool = services.pool_current()
        data = PoolSerializer(pool, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            pool = services.pool_update(actor=request.user, pool=pool, **data.validated_data)
        except services.MemberInvalid as exc:
            raise _invalid(exc) from exc
        return Response(PoolSerializer(pool).data)


class CanSeeUsage(permissions.BasePermission):
    message = gettext_lazy("Usage reports are for finance and admins.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return selectors.can_see_usage(request.user)


class UsageQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=selectors.GROUPINGS, default="member")
    # "from" is a Python keyword, hence the source mapping.
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def to_internal_value(self, data):
        data = {
            "group_by": data.get("group_by", "member"),
            **({"date_from": data["from"]} if data.get("from") else {}),
            **({"date_to": data["to"]} if data.get("to") else {}),
        }
        try:
            return super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            detail = exc.detail
            renamed = {"date_from": "from", "date_to": "to"}
            raise exceptions.ValidationError(
                {renamed.get(k, k): v for k, v in detail.items()}
            ) from exc

    def validate(self, attrs: dict) -> dict:
        this_month = services.period_bounds(timezone.localdate())
        attrs.setdefault("date_from", this_month[0])
        attrs.setdefault("date_to", this_month[1])
        if attrs["date_from"] > attrs["date_to"]:
            raise exceptions.ValidationError({"from": [_("'from' must not be after 'to'.")]})
        return attrs


_ROW = inline_serializer(
    "UsageRow",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "calls": serializers.IntegerField(),
        "seconds": serializers.IntegerField(),
        "billed_minutes": serializers.DecimalField(max_digits=14, decimal_places=2),
    },
)


# The total has no key or label (it is every row's).
_TOTAL = inline_serializer(
    "UsageTotal",
    {
        "calls": serializers.IntegerField(),
        "seconds": serializers.IntegerField(),
        "billed_minutes": serializers.DecimalField(max_digits=14, decimal_places=2),
    },
)


class UsageView(APIView):
    """Usage by member, department, day or month over a date range (both days included)."""

    permission_classes = [permissions.IsAuthenticated, CanSeeUsage]

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", enum=list(selectors.GROUPINGS)),
            OpenApiParameter("from", date, description="First day (default: this month's)"),
            OpenApiParameter("to", date, description="Last day (default: this month's)"),
        ],
        responses=inline_serializer(
            "UsageReport",
            {
                "group_by": serializers.ChoiceField(choices=selectors.GROUPINGS),
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "rows": _ROW.__class__(many=True),
                "total": _TOTAL,
            },
        ),
    )
    def get(self, request: Request) -> Response:
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = selectors.usage_report(**query.validated_data)
        return Response(
            {
                "group_by": report.group_by,
                "from": report.date_from,
                "to": report.date_to,
                "rows": [row.as_dict() for row in report.rows],
                "total": {k: v for k, v in report.total.as_dict().items() if k in _TOTAL_FIELDS},
            }
        )


_TOTAL_FIELDS = ("calls", "seconds", "billed_minutes")
