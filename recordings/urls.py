from django.urls import path

from recordings import views

urlpatterns = [
    path("recordings/", views.recording_list, name="recording-list"),
    path("recordings/<int:pk>/retry/", views.recording_retry, name="recording-retry"),
    path("recordings/<int:pk>/hold/", views.recording_hold, name="recording-hold"),
    path("calls/<int:pk>/recording/", views.recording_panel, name="recording-panel"),
]
