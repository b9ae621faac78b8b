"""Django's Redis cache, with one Redis client per connection pool instead of one per operation.

Django's RedisCacheClient builds a new `redis.Redis` for every get, set, add or incr: 0.1 ms of
Python each (measured: 0.12 ms to build one, 0.08 ms for the GET itself), several times per call
(the click's rate limit, the operator's token and contact log in the workers). A client is
thread-safe and holds nothing but its pool, so one per pool does the same work. CACHE_URL's
`redis://` selects this backend (settings.CACHES).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:  # the pool as Django's own get_client makes it
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class ClientReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool
