"""The portal's settings plus the benchmark's reference endpoint (bench/reference.py).

Used only by `make bench`, for the gunicorn it starts: the reference is served by the same
processes, middleware and database as the portal, so the two are measured side by side.
"""

from clicktodial_portal.settings import *  # noqa: F403 - the portal's settings, unchanged

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
