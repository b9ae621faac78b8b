"""The Redis cache backend (clicktodial_portal/cache.py): Django's, with one client per pool.
Run where the cache is Redis (CI's PostgreSQL + Redis run); on the embedded file cache, skipped."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not settings.CACHES["default"]["BACKEND"].endswith("ClientReusingRedisCache"),
    reason="the cache is not Redis here (CACHE_URL)",
)


def test_every_operation_works_through_one_client() -> None:
    cache.set("cache-test:a", {"x": 1}, 30)
    assert cache.get("cache-test:a") == {"x": 1}
    assert cache.add("cache-test:b", 0, 30) is True
    assert cache.add("cache-test:b", 5, 30) is False
    assert cache.incr("cache-test:b") == 1
    cache.delete("cache-test:a")
    assert cache.get("cache-test:a") is None
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    assert len(cache._cache._clients) == 1
