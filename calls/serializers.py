"""API input and output shapes for calls and contacts."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from calls.models import Call, Contact
from calls.selectors import call_read_by, call_status_label
from recordings.serializers import CallRecordingSerializer, call_recording_data


class CallOutputSerializer(serializers.ModelSerializer):
    status_label = serializers.SerializerMethodField()
    recording = serializers.SerializerMethodField()
    # How the call went, as its caller noted after it: the outcome's stable code (null: none).
    outcome = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "status",
            "status_label",
            "reason",
            "error_code",
            "error_message",
            "callidentifier",
            "member",
            "contact",
            "sponsor",
            "caller",
            "callee",
            "callee_name",
            "created_at",
            "connected_at",
            "ended_at",
            "duration_seconds",
            "billed_minutes",
            "over_limit",
            "limit_note",
            "recording",
            "outcome",
            "notes",
        ]
        read_only_fields = fields

    def get_status_label(self, call: Call) -> str:
        # An admin's token reads another's call in the third person, as on the pages.
        request = self.context.get("request")
        if request is not None:
            call_read_by(request.user, call)
        return call_status_label(call)

    @extend_schema_field(CallRecordingSerializer(allow_null=True))
    def get_recording(self, call: Call) -> dict | None:
        return call_recording_data(call, request=self.context.get("request"))


@extend_schema_serializer(
    examples=[
        OpenApiExample(_("Call a number"), value={"callee": "+8613800000001"}, request_only=True)
    ]
)
class CallStartInputSerializer(serializers.Serializer):
    callee = serializers.CharField(required=False, allow_blank=False, max_length=40)
    member = serializers.IntegerField(required=False, help_text=_("Defaults to your own member."))
    contact = serializers.IntegerField(required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            _("A contact"),
            value={
                "name": "Li Wei",
                "company": "Example Trading Co.",
                "phone_number": "+8613800000002",
                "notes": "",
            },
            request_only=True,
        )
    ]
)
class ContactSerializer(serializers.ModelSerializer):
    shared = serializers.BooleanField(
        source="is_shared",
        required=False,
        default=False,
        help_text=_("Shared with everyone (admins only); set when the contact is created."),
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "company",
            "phone_number",
            "notes",
            "shared",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
