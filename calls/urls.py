from django.urls import path

from calls import views
from calls.notify import CamaraEventView, StatusNotifyView

urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/import/", views.contact_import_view, name="contact-import"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("calls/", views.call_list, name="call-list"),
    path("calls/export.csv", views.call_export_csv, name="call-export-csv"),
    path("calls/export.xlsx", views.call_export_xlsx, name="call-export-xlsx"),
    path("calls/start/", views.call_start, name="call-start"),
    path("calls/<int:pk>/", views.call_detail, name="call-detail"),
    path("calls/<int:pk>/status/", views.call_status, name="call-status"),
    path("calls/<int:pk>/hangup/", views.call_hang_up, name="call-hangup"),
    path("calls/<int:pk>/settle/", views.call_settle, name="call-settle"),
    # The operator's callback, at the path the operator's API document gives.
    path(
        "clicktodial/v1/clicktodialstatusnotify/<str:callidentifier>",
        StatusNotifyView.as_view(),
        name="operator-status-notify",
    ),
    # CAMARA's events (OPERATOR_API=camara): the sink the portal names in each begin request.
    path("clicktodial/camara/events", CamaraEventView.as_view(), name="operator-camara-events"),
]
