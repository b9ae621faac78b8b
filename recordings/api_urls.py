"""The recordings operation of the REST API (under /api/v1/)."""

from django.urls import path

from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)
from recordings import api

urlpatterns = [
    path(
        "calls/<id:pk>/recording/",
        api.CallRecordingAudioView.as_view(),
        name="api-call-recording",
    ),
]
