"""Minute pool pages."""

from django.urls import path

from members.pool import views as pool

urlpatterns = [
    path("pool/", pool.pool_detail, name="pool"),
    path("pool/update/", pool.pool_update, name="pool-update"),
]
