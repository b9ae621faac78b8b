"""REST API for the usage report (finance, admins)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clicktodial_portal import bounds
from members import roles
from members.pool import services as pool_services
from members.reports import selectors


class CanSeeUsage(permissions.BasePermission):
    message = gettext_lazy("Usage reports are for finance and admins.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return roles.can_see_usage(request.user)


class UsageQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=selectors.GROUPINGS, default="member")
    # "from" is a Python keyword, hence the source mapping.
    date_from = bounds.BoundedDateSerializerField(required=False)
    date_to = bounds.BoundedDateSerializerField(required=False)

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
        this_month = pool_services.period_bounds(timezone.localdate())
        attrs.setdefault("date_from", this_month[0])
        attrs.setdefault("date_to", this_month[1])
        if attrs["date_from"] > attrs["date_to"]:
            raise exceptions.ValidationError({"from": [_("'from' must not be after 'to'.")]})
        return attrs


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "The member's or department's id (0: no department), the day "
        "(YYYY-MM-DD) or the month (YYYY-MM), as `group_by` says.",
    }
)
class UsageKeyField(serializers.Field):
    """A row's key: an id for members and departments, a date's text for days and months."""


_ROW = inline_serializer(
    "UsageRow",
    {
        "key": UsageKeyField(),
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
            OpenApiParameter(
                "from",
                bounds.DATE_PARAMETER_SCHEMA,
                description=f"First day, {bounds.DATE_RANGE_TEXT} (default: this month's)",
            ),
            OpenApiParameter(
                "to",
                bounds.DATE_PARAMETER_SCHEMA,
                description=f"Last day, {bounds.DATE_RANGE_TEXT}, not before `from` "
                "(default: this month's)",
            ),
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
