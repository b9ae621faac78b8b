"""The `recording` field of a call in the API: `{"status", "url"}`, or null when none was made."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request

from recordings.models import Recording


class CallRecordingSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Recording.Status.choices,
        # Translators: pending, downloading and ready are the API's status codes: keep them as is.
        help_text=_("pending and downloading change on their own; the others are final."),
    )
    url = serializers.URLField(
        allow_null=True,
        # Translators: ready is the API's status code: keep it as is.
        help_text=_(
            "The audio (Range requests supported), for the same token or session; "
            "set only when the status is ready."
        ),
    )


def call_recording_data(call: object, *, request: Request | None) -> dict | None:
    try:
        recording: Recording = call.recording  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    url = None
    if recording.status == Recording.Status.READY:
        url = reverse("api-call-recording", args=[recording.call_id])
        # Absolute: from the request's host, else (a webhook's body) from the portal's address.
        url = (
            request.build_absolute_uri(url)
            if request is not None
            else settings.PORTAL_BASE_URL + url
        )
    return {"status": recording.status, "url": url}
