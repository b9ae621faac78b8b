"""Retries back off exponentially, with jitter so that work refused together spreads out (one
rule for the calls' begin and release and for recordings' downloads)."""

from clicktodial_portal.celery import retry_delay


def test_each_retry_waits_about_twice_as_long_spread_over_the_upper_half():
    for retries, ceiling in [(0, 2.0), (1, 4.0), (3, 16.0)]:
        delays = [retry_delay(2.0, retries) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 100  # spread out, not one instant


def test_the_wait_stops_growing_at_its_most():
    delays = [retry_delay(2.0, 10, most=60.0) for _ in range(200)]
    assert all(30.0 <= delay <= 60.0 for delay in delays)
