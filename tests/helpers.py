"""Helpers for the tests that start the portal's own processes (gunicorn, Celery workers): a free
port, the test database as those processes' DATABASE_URL, and a bounded wait; and the portal's
routes, for the tests that go through every one."""

import socket
import time

from django.db import connection
from django.urls import URLResolver, get_resolver


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database, as a process started with the project's settings reads it."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def url_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every route of the portal, as Django writes it ("calls/<id:pk>/"), its includes' joined."""
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        routes += url_routes(pattern, route) if isinstance(pattern, URLResolver) else [route]
    return routes
