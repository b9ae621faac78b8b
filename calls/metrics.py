"""The calls in progress at /metrics, read from the database when scraped (registered from
CallsConfig.ready on clicktodial_portal.metrics.STATE_REGISTRY)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from calls.models import Call


class CallsInProgressCollector(Collector):
    """How many calls are in each status before the end, now."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        live = GaugeMetricFamily(
            "clicktodial_calls_in_progress",
            "Calls now in each status before the end (queued to connected).",
            labels=["status"],
        )
        # Exactly the live statuses: the filter of the partial index calls_call_live_idx, so a
        # scrape reads the few live calls, not years of ended ones.
        counts = dict(
            Call.objects.filter(status__in=Call.LIVE_STATUSES)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for status in sorted(Call.LIVE_STATUSES):
            live.add_metric([status], counts.get(status, 0))
        yield live
