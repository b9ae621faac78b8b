"""What a web process checks before it serves: the system checks, errors stopping it.

A portal whose settings the checks find unsafe (calls.E003: notifications believed from anyone)
must not serve; `runserver` and `manage.py` run the checks themselves, gunicorn and ASGI servers
do not, so the WSGI and ASGI entry points call this once the application is loaded.
"""

from django.core import checks
from django.core.management.base import SystemCheckError


def refuse_to_serve_unsafe_settings() -> None:
    serious = [message for message in checks.run_checks() if message.is_serious()]
    if serious:
        raise SystemCheckError("\n".join(str(message) for message in serious))
