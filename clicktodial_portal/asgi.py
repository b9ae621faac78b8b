"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")

application = get_asgi_application()

from clicktodial_portal.startup import refuse_to_serve_unsafe_settings  # noqa: E402 - needs apps

refuse_to_serve_unsafe_settings()
