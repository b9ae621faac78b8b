"""WSGI entry point (gunicorn clicktodial_portal.wsgi)."""

import os

from django.core import checks
from django.core.management.base import SystemCheckError
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")

application = get_wsgi_application()
# A portal whose settings the system checks find unsafe (calls.E003: notifications believed
# from anyone) must not serve: SystemCheckError stops the web process as it starts.
_serious = [message for message in checks.run_checks() if message.is_serious()]
if _serious:
    raise SystemCheckError("\n".join(str(message) for message in _serious))
