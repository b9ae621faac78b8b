"""The pool's figures at /metrics, read from the database when scraped (registered from
MembersConfig.ready on clicktodial_portal.metrics.STATE_REGISTRY)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from members.pool.services import pool_current


class PoolCollector(Collector):
    """This month's shared pool: its allotment and what is left of it."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = pool_current()
        remaining = GaugeMetricFamily(
            "clicktodial_pool_minutes_remaining",
            "Minutes left in this month's shared pool (negative once overdrawn).",
        )
        remaining.add_metric([], float(pool.minutes_allotted) - float(pool.minutes_used))
        yield remaining
        allotted = GaugeMetricFamily(
            "clicktodial_pool_minutes_allotted", "Minutes allotted to this month's shared pool."
        )
        allotted.add_metric([], float(pool.minutes_allotted))
        yield allotted
