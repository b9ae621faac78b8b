"""Retries back off exponentially, with jitter so that calls refused together spread out."""

from calls.tasks import retry_delay


def test_each_retry_waits_about_twice_as_long_spread_over_the_upper_half(settings):
    settings.CALL_BEGIN_RETRY_DELAY = 2.0

    for retries, ceiling in [(0, 2.0), (1, 4.0), (3, 16.0)]:
        delays = [retry_delay(retries) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 100  # spread out, not one instant
