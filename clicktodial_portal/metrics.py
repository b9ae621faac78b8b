"""Prometheus metrics at /metrics: the portal's own, beside django-prometheus's (requests, views).

Every process of a host (gunicorn's workers, the Celery workers) writes its counts to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), and /metrics, answered by any
web process, adds them up: Prometheus scrapes each host's web address once. Only counters and
histograms are kept that way. A count outlives the process that made it, which is what a counter
means, so the folder needs no bookkeeping when a process ends; it is emptied when the host
starts (/run is a tmpfs) or `make run` starts. What is a state rather than a count, the pool's
minutes left and the calls in each status now, is read from the database when scraped, by the
collectors the apps register (STATE_REGISTRY).

/metrics answers only with METRICS_TOKEN as a bearer token (Prometheus' `authorization`
setting): call volumes are the enterprise's business. Unset, it answers no one.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django_prometheus.middleware import PrometheusAfterMiddleware
from django_prometheus.utils import Time
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

METRICS_PATH = "/metrics"

CALLS = Counter(
    "clicktodial_calls",
    "Calls that reached a status, by status and, for ended and failed calls, reason.",
    ["status", "reason"],
)
NOTIFICATION_SECONDS = Histogram(
    "clicktodial_notification_seconds",
    "Time to take one of the operator's status notifications, by the answer's code.",
    ["code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BEGIN_SECONDS = Histogram(
    "clicktodial_call_begin_seconds",
    "From a click to the operator's answer to its begin request, by what came of it.",
    ["result"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
RECORDING_DOWNLOADS = Counter(
    "clicktodial_recording_downloads",
    "Attempts to fetch a recording from the operator, by result.",
    ["result"],
)
TASK_RETRIES = Counter(
    "clicktodial_task_retries",
    "Background tasks sent back to the queue to try again, by task.",
    ["task"],
)


class RequestMetricsAfterMiddleware(PrometheusAfterMiddleware):
    """django-prometheus' own, except that a Content-Length that is not a number is not a 500:
    it is the client's mistake, which the view answers (the operator's endpoint with 400, and
    keeps the notification); here only the body's size goes uncounted."""

    def process_request(self, request: HttpRequest) -> None:
        try:
            super().process_request(request)
        except ValueError:  # its int() of the Content-Length, its last step but one
            request.prometheus_after_middleware_event = Time()


# What is true now, read from the database when scraped: each app registers its own figures here
# from its AppConfig.ready() (the pool: members; the calls in progress: calls), so that this
# package imports no app.
STATE_REGISTRY = CollectorRegistry()


def state_collector_register(collector: Collector) -> None:
    """Add an app's figures, read from the database at each scrape, to /metrics."""
    STATE_REGISTRY.register(collector)


class PortalStateCollector(Collector):
    """The apps' figures (STATE_REGISTRY), and whether the database could be read for them."""

    def collect(self) -> Iterator[Metric]:
        # The same on every host (one database): aggregate them with max(), not sum().
        up = GaugeMetricFamily(
            "clicktodial_state_up", "Whether the figures read from the database could be read."
        )
        try:
            figures = list(STATE_REGISTRY.collect())
        except DatabaseError:
            # The counters of every process still go out: a database outage is when they count.
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures


def bearer_of_the_metrics_token(request: HttpRequest) -> bool:
    """Whether the request carries METRICS_TOKEN as its bearer token (never, when unset)."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


def metrics_export(request: HttpRequest) -> HttpResponse:
    if not bearer_of_the_metrics_token(request):
        response = HttpResponse("Unauthorized: send METRICS_TOKEN as a bearer token.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(PortalStateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
