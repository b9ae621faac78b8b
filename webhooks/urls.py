"""The webhook pages, under member management, where admins look after the enterprise's setup."""

from django.urls import path

from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)
from webhooks import views

urlpatterns = [
    path("members/webhooks/", views.webhook_list, name="webhook-list"),
    path("members/webhooks/<id:pk>/", views.webhook_detail, name="webhook-detail"),
    path("members/webhooks/<id:pk>/test/", views.webhook_test, name="webhook-test"),
    path("members/webhooks/<id:pk>/enable/", views.webhook_enable, name="webhook-enable"),
    path("members/webhooks/<id:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path(
        "members/webhooks/messages/<id:pk>/resend/",
        views.webhook_message_resend,
        name="webhook-message-resend",
    ),
]
