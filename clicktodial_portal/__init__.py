"""The Django project: settings, URLs, the Celery app, WSGI/ASGI."""

from clicktodial_portal.celery import app as celery_app

__all__ = ["celery_app"]
