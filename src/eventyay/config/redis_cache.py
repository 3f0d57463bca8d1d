"""Django's Redis cache backend, with one Redis client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for every cache
operation. With redis-py 6 and later that constructor copies the table of some 170 response
callbacks into a new case-insensitive dict, which cost about as much CPU as the network round
trip it wraps; a request of the order path makes half a dozen cache calls. A ``redis.Redis``
client is safe to share between threads (each command takes a connection from the pool), and
the pool itself notices a fork and reconnects, so one client per pool is kept for the process.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's private helpers carry no type hints
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = base._client(connection_pool=base._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its Redis clients (see the module)."""

    @cached_property
    def _cache(self) -> RedisCacheClient:
        base: Any = self
        return RedisCacheClient(base._servers, **base._options)
