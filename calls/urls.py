from django.urls import path

from calls.notify import CamaraEventView, StatusNotifyView
from calls.views import call_pages, contacts, dial, outcomes
from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)

urlpatterns = [
    path("", call_pages.home, name="home"),
    path("contacts/", contacts.contact_list, name="contact-list"),
    path("contacts/import/", contacts.contact_import_view, name="contact-import"),
    path("contacts/<id:pk>/edit/", contacts.contact_edit, name="contact-edit"),
    path("contacts/<id:pk>/delete/", contacts.contact_delete, name="contact-delete"),
    path("contacts/delete/", contacts.contact_bulk_delete, name="contact-bulk-delete"),
    # A number from anywhere: a CRM's link, or a tel: link with the portal as its handler.
    path("call", dial.call_number, name="call-number"),
    path("calls/", call_pages.call_list, name="call-list"),
    path("calls/export.csv", call_pages.call_export_csv, name="call-export-csv"),
    path("calls/export.xlsx", call_pages.call_export_xlsx, name="call-export-xlsx"),
    path("calls/start/", call_pages.call_start, name="call-start"),
    path("calls/<id:pk>/", call_pages.call_detail, name="call-detail"),
    path("calls/<id:pk>/status/", call_pages.call_status, name="call-status"),
    path("calls/<id:pk>/hangup/", call_pages.call_hang_up, name="call-hangup"),
    path("calls/<id:pk>/settle/", call_pages.call_settle, name="call-settle"),
    path("calls/<id:pk>/wrapup/", call_pages.call_wrapup, name="call-wrapup"),
    path("calls/outcomes/", outcomes.call_outcome_list, name="call-outcome-list"),
    path("calls/outcomes/<id:pk>/edit/", outcomes.call_outcome_edit, name="call-outcome-edit"),
    # The operator's callback, at the path the operator's API document gives.
    path(
        "clicktodial/v1/clicktodialstatusnotify/<str:callidentifier>",
        StatusNotifyView.as_view(),
        name="operator-status-notify",
    ),
    # CAMARA's events (OPERATOR_API=camara): the sink the portal names in each begin request.
    path("clicktodial/camara/events", CamaraEventView.as_view(), name="operator-camara-events"),
]
