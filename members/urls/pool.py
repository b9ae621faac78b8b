"""Minute pool pages."""

from django.urls import path

from members.views import pool

urlpatterns = [
    path("pool/", pool.pool_detail, name="pool"),
    path("pool/update/", pool.pool_update, name="pool-update"),
]
