"""The recordings operation of the REST API (under /api/v1/)."""

from django.urls import path

from recordings import api

urlpatterns = [
    path(
        "calls/<int:pk>/recording/",
        api.CallRecordingAudioView.as_view(),
        name="api-call-recording",
    ),
]
