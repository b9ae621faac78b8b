"""API input and output shapes for calls and contacts."""

from rest_framework import serializers

from calls.models import Call, Contact
from calls.selectors import call_status_label


class CallOutputSerializer(serializers.ModelSerializer):
    status_label = serializers.SerializerMethodField()
    recording = serializers.SerializerMethodField()

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
            "recording",
        ]
        read_only_fields = fields

    def get_status_label(self, call: Call) -> str:
        return call_status_label(call)

    def get_recording(self, call: Call) -> dict | None:
        # Recordings are downloaded and served by the recordings app; until one is stored, null.
        return None


class CallStartInputSerializer(serializers.Serializer):
    callee = serializers.CharField(required=False, allow_blank=False, max_length=40)
    member = serializers.IntegerField(required=False, help_text="Defaults to your own member.")
    contact = serializers.IntegerField(required=False)


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "company", "phone_number", "notes", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
