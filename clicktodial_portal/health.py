"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators; and the
middleware that answers them and Prometheus' /metrics (clicktodial_portal/metrics.py).

Answered by a middleware placed first: a probe or a scrape comes by IP address (a Host that
ALLOWED_HOSTS refuses), over plain HTTP (which SECURE_SSL_REDIRECT would redirect), without
cookies, and must be answered by what the process itself knows, not by a login page or the
login lock-out; nor is it counted among the requests the metrics report.

/healthz says the process serves requests and touches nothing else: a restart cannot mend a
database that is down. /readyz checks each part a request may need, in turn (in this thread:
a probe in another would open a database connection that nothing closes), and answers 503 when
one the portal cannot work without fails. Where waiting is the risk (the broker, the operator)
the check gives up after CHECK_TIMEOUT seconds. The operator's part says whether it answered the
last time any process asked it something, and how long ago; it is reported but does not decide
readiness: when it is down, calls fail with a clear message and everything else (history,
reports, recordings, members) still works, which taking every web process out of the balancer
would stop.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.core.cache import cache
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from clicktodial_portal.metrics import METRICS_PATH, bearer_of_the_metrics_token, metrics_export

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
CHECK_TIMEOUT = 2.0  # seconds; a balancer's probe usually waits a few


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from clicktodial_portal.celery import app

    with app.connection_for_write(connect_timeout=CHECK_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT)


def _cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"  # each probe its own: concurrent probes cannot collide
    cache.set(key, "ok", timeout=30)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("a value set could not be read back")
    finally:
        cache.delete(key)


def _storage() -> None:
    # The recordings' storage, by its name in settings.STORAGES (the project imports no app).
    storage = storages["recordings"]

    if hasattr(storage, "bucket"):
        # S3 (django-storages): the bucket exists and these credentials may use it. A HEAD of
        # one object would not do: a missing bucket reads as a missing object.
        storage.bucket.meta.client.head_bucket(Bucket=storage.bucket_name)
        return
    # A folder: it, or the nearest folder it will be made in, is writable.
    folder = Path(storage.location)
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise RuntimeError(f"{storage.location} is not a writable folder")


def _operator() -> dict[str, object]:
    """A usable access token (fetched now if none is kept), and the operator's last news: when
    it last answered any request from any process, and whether something failed since."""
    from operator_api import get_operator

    operator = get_operator()
    operator.access_token_check(timeout=CHECK_TIMEOUT)
    answered_at, failed = operator.last_contact()
    now = time.time()
    news: dict[str, object] = {
        "last_answer_seconds_ago": None if answered_at is None else round(now - answered_at)
    }
    if failed is not None and (answered_at is None or failed[0] > answered_at):
        failed_at, what = failed
        raise RuntimeError(f"{what}, {round(now - failed_at)} s ago, and no answer since")
    return news


# name, check (which may say more of its part than ok), whether the portal is unready without it
CHECKS: list[tuple[str, Callable[[], dict[str, object] | None], bool]] = [
    ("database", _database, True),
    ("broker", _broker, True),
    ("cache", _cache, True),
    ("storage", _storage, True),
    ("operator", _operator, False),
]


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """Each part's state: ok, or its error; and whether every required part is ok."""
    ready = True
    parts: dict[str, dict[str, object]] = {}
    for name, check, required in CHECKS:
        started = time.perf_counter()
        try:
            said = check()
        except Exception as exc:  # any failure is this part's state, reported
            state: dict[str, object] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            ready = ready and not required
        else:
            state = {"ok": True, **(said or {})}
        state["required"] = required
        state["ms"] = round((time.perf_counter() - started) * 1000, 1)
        parts[name] = state
    return ready, parts


def liveness(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readiness_report(request: HttpRequest) -> HttpResponse:
    ready, parts = readiness()
    if not bearer_of_the_metrics_token(request):
        # The errors name hosts, users and buckets: only for who may read the metrics.
        for state in parts.values():
            state.pop("error", None)
    body = {"status": "ready" if ready else "unready", "checks": parts}
    return JsonResponse(body, status=200 if ready else 503)


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.answers = {
            LIVENESS_PATH: liveness,
            READINESS_PATH: readiness_report,
            METRICS_PATH: metrics_export,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        answer = self.answers.get(request.path)
        if answer is None:
            return self.get_response(request)
        return _no_store(answer(request))


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response
