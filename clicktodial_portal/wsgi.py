"""WSGI entry point (gunicorn clicktodial_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")

application = get_wsgi_application()

from clicktodial_portal.startup import refuse_to_serve_unsafe_settings  # noqa: E402 - needs apps

refuse_to_serve_unsafe_settings()
