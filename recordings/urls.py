from django.urls import path

from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)
from recordings import rule_views, views

urlpatterns = [
    path("recordings/", views.recording_list, name="recording-list"),
    path("recordings/<id:pk>/retry/", views.recording_retry, name="recording-retry"),
    path("recordings/<id:pk>/hold/", views.recording_hold, name="recording-hold"),
    path("calls/<id:pk>/recording/", views.recording_panel, name="recording-panel"),
    # Which calls are recorded (admins).
    path("recordings/rules/", rule_views.recording_rule_list, name="recording-rule-list"),
    path(
        "recordings/rules/members/",
        rule_views.recording_rule_members,
        name="recording-rule-members",
    ),
    path("recordings/rules/<id:pk>/", rule_views.recording_rule_edit, name="recording-rule-edit"),
    path(
        "recordings/rules/<id:pk>/delete/",
        rule_views.recording_rule_delete,
        name="recording-rule-delete",
    ),
]
