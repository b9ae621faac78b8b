"""The reference the notification intake is measured against, in the same run.

A plain DRF view, as a first version of the endpoint would be written: it validates the same
body with a serializer and inserts one row. No authentication, no state machine, no debit: what
the portal's endpoint does beyond this is the work the benchmark asks it to do at least as fast.
"""

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import ReferenceNotification


class NotificationSerializer(serializers.Serializer):
    caller = serializers.CharField(max_length=20)
    callee = serializers.CharField(max_length=20)
    status = serializers.ChoiceField(
        ["CallingCaller", "CallingCallee", "Connected", "Disconnected"]
    )
    reason = serializers.CharField(required=False)
    callDuration = serializers.IntegerField(required=False, min_value=0)
    recordingResult = serializers.CharField(required=False)
    recordingId = serializers.CharField(required=False)
    timeStamp = serializers.DateTimeField()


class ReferenceNotifyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request, callidentifier: str) -> Response:
        serializer = NotificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ReferenceNotification.objects.create(
            callidentifier=callidentifier,
            caller=data["caller"],
            callee=data["callee"],
            status=data["status"],
            call_duration=data.get("callDuration"),
        )
        return Response({"code": "0000000", "description": "Success"})
