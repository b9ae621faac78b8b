from django.urls import include, path

from bench.reference import ReferenceNotifyView

urlpatterns = [
    path("bench/reference/<str:callidentifier>", ReferenceNotifyView.as_view()),
    path("", include("clicktodial_portal.urls")),
]
