"""The recording's audio, for the REST API and the browser alike (token or session)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, views
from rest_framework.request import Request

from recordings import selectors, services
from recordings.models import Recording
from recordings.selectors import CONTENT_TYPES
from recordings.serving import recording_response


class RecordingGone(exceptions.APIException):
    status_code = 410
    default_detail = _("The recording was deleted after the retention period.")
    default_code = "gone"


class RecordingNotReady(exceptions.APIException):
    status_code = 404
    default_detail = _("This call has no recording to play.")
    default_code = "not_ready"


def _audio(status: int, description: str) -> dict:
    """The audio's response for `status`, in every media type a recording may be served as (each
    stated, not `audio/*`, which generated clients cannot read; application/octet-stream for a
    format the portal does not know, and for clients that ask for bytes)."""
    media_types = ["application/octet-stream", *sorted(set(CONTENT_TYPES.values()))]
    return {
        (status, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
        for media_type in media_types
    }


class CallRecordingAudioView(views.APIView):
    """GET the call's recording: the audio, with Range support (206) so that players can seek.

    `?download=1` sends it as an attachment. Every play and download goes to the audit log.
    """

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # <audio> asks for audio/*, which no renderer offers; errors still go out as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        description=_(
            "GET the call's recording: the audio, with Range support (206) so that players can "
            "seek.\n\n`?download=1` sends it as an attachment. Every play and download goes to "
            "the audit log."
        ),
        parameters=[
            OpenApiParameter("download", OpenApiTypes.BOOL, description=_("Send as an attachment."))
        ],
        responses={
            **_audio(200, _("The audio, in the media type of its format.")),
            **_audio(206, _("A byte range of the audio.")),
            302: OpenApiResponse(
                description=_(
                    "With RECORDING_DELIVERY=storage_url: a short-lived link to the audio in the "
                    "object storage (Location)."
                )
            ),
            404: OpenApiResponse(description=_("No such call for you, or no recording to play.")),
            410: OpenApiResponse(description=_("Deleted after the retention period.")),
            416: OpenApiResponse(description=_("The Range starts past the end of the file.")),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        recording = selectors.recordings_visible_to(request.user).filter(call_id=pk).first()
        if recording is None:
            raise Http404
        if recording.status == Recording.Status.EXPIRED:
            raise RecordingGone
        if recording.status != Recording.Status.READY:
            raise RecordingNotReady
        download = request.query_params.get("download", "") in ("1", "true", "yes")
        services.recording_access_record(
            actor=request.user,
            recording=recording,
            download=download,
            byte_range=request.headers.get("Range", ""),
        )
        return recording_response(request._request, recording, download=download)
